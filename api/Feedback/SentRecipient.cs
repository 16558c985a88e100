using EmailApi.Queue;

namespace EmailApi.Feedback;

/// <summary>One recipient row of a message, as an inbound report's token names it, with what of its message decides a bounce notification.</summary>
/// <param name="Source">How the message was submitted.</param>
/// <param name="EnvelopeFrom">The message's own envelope sender (empty: the null sender of our own notifications).</param>
public sealed record SentRecipient(MessageId MessageId, long RecipientId, string AccountId, string Address, RecipientStatus Status, MessageSource Source, string EnvelopeFrom);
