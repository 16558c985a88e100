using EmailApi.Queue;

namespace EmailApi.Feedback;

/// <summary>One recipient row of a message, as an inbound report's token names it.</summary>
public sealed record SentRecipient(MessageId MessageId, long RecipientId, string AccountId, string Address, RecipientStatus Status);
