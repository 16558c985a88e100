namespace EmailApi.Queue;

/// <summary>The queue's one structured line per message made durable, whichever door it came through (Postfix's <c>from=… size=… nrcpt=…</c>).</summary>
internal static partial class QueueLog
{
    [LoggerMessage(EventId = 1001, EventName = "MessageAccepted", Level = LogLevel.Information,
        Message = "Accepted {MessageId} source={Source} account={AccountId} from=<{EnvelopeFrom}> recipients={Recipients} size={Size}")]
    public static partial void Accepted(ILogger logger, string messageId, string source, string accountId, string envelopeFrom, int recipients, int size);
}
