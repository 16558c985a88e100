namespace EmailApi.Queue;

/// <summary>A message's id: a version 7 GUID, so ids sort by creation time.</summary>
public readonly record struct MessageId(Guid Value)
{
    public static MessageId New(TimeProvider clock) => new(Guid.CreateVersion7(clock.GetUtcNow()));

    public static bool TryParse(string? text, out MessageId id)
    {
        var ok = Guid.TryParse(text, out var guid);
        id = new MessageId(guid);
        return ok;
    }

    public override string ToString() => Value.ToString("D");
}
