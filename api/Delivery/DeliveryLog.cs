namespace EmailApi.Delivery;

/// <summary>The sender's one structured line per recipient result (Postfix's <c>to=… relay=… delay=… status=…</c>).</summary>
internal static partial class DeliveryLog
{
    [LoggerMessage(EventId = 2001, EventName = "DeliveryResult", Level = LogLevel.Information,
        Message = "Delivery {MessageId} account={AccountId} to=<{Recipient}> status={Status} mx={Mx} attempt={Attempt} delay={DelaySeconds}s next={NextAttemptAt}: {Response}")]
    public static partial void Result(ILogger logger, string messageId, string accountId, string recipient, string status, string? mx,
        int attempt, double delaySeconds, DateTimeOffset? nextAttemptAt, string response);
}
