namespace EmailApi.Queue;

/// <summary>
/// Recipients handed to one sender until <see cref="Until"/>. Results are recorded against
/// <see cref="Token"/>: once a lease has expired and another sender took the recipient over,
/// a late result from the first sender is ignored.
/// </summary>
public sealed record Lease(long Token, DateTimeOffset Until, IReadOnlyList<LeasedRecipient> Recipients, IReadOnlyDictionary<MessageId, QueuedMessage> Messages)
{
    public static Lease Empty { get; } = new(0, DateTimeOffset.MinValue, [], new Dictionary<MessageId, QueuedMessage>());
}

public sealed record LeasedRecipient(long Id, MessageId MessageId, string Address, string Domain, int Attempts);

public sealed record QueuedMessage(MessageId Id, string AccountId, MessageSource Source, string EnvelopeFrom, byte[] Raw, DateTimeOffset CreatedAt);
