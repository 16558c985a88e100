namespace EmailApi.Queue;

/// <summary>The outcome of one delivery attempt for one recipient, as the queue records it.</summary>
public sealed record RecipientResult(
    long RecipientId,
    MessageId MessageId,
    RecipientStatus Status,
    SmtpReply Reply,
    string? Mx,
    DateTimeOffset? NextAttemptAt,
    bool Suppress = false)
{
    /// <summary>The reply as one line, as the message log has always shown it.</summary>
    public string Response => Reply.ToString();
}
