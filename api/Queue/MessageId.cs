namespace EmailApi.Queue;

/// <summary>A message's id: a version 7 UUID that sorts in the order messages were accepted (<see cref="MonotonicUuid"/>).</summary>
public readonly record struct MessageId(Guid Value)
{
    public static MessageId New(TimeProvider clock) => new(MonotonicUuid.Next(clock));

    public static bool TryParse(string? text, out MessageId id)
    {
        var ok = Guid.TryParse(text, out var guid);
        id = new MessageId(guid);
        return ok;
    }

    public override string ToString() => Value.ToString("D");

    /// <summary>
    /// The smallest id (as text) created at <paramref name="at"/>: its 48-bit millisecond timestamp, then
    /// zeros. Every id created earlier sorts below it, so a time bound becomes a range on the id's index.
    /// </summary>
    public static string FirstTextAt(DateTimeOffset at)
    {
        var ms = Math.Clamp(at.ToUnixTimeMilliseconds(), 0, (1L << 48) - 1);
        var hex = ms.ToString("x12");
        return $"{hex[..8]}-{hex[8..12]}-0000-0000-000000000000";
    }
}
