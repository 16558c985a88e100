using EmailApi.Queue;

namespace EmailApi.Unsubscribe;

/// <summary>Makes the RFC 2369 / RFC 8058 header fields for one recipient of one message.</summary>
public sealed class UnsubscribeLinks(byte[] key, string publicBase, string? mailHost)
{
    public const string PostValue = "List-Unsubscribe=One-Click";

    public IReadOnlyList<KeyValuePair<string, string>> HeadersFor(string accountId, MessageId message, string recipient)
    {
        var token = UnsubscribeToken.Create(key, accountId, message, recipient);
        // RFC 8058 §3.1: an HTTPS URI that identifies the recipient, with List-Unsubscribe-Post beside it; the
        // mailto: form (RFC 2369 §3.2) serves clients that only mail, through the inbound listener.
        var value = mailHost is null ? $"<{publicBase}/u/{token}>" : $"<{publicBase}/u/{token}>, <mailto:unsub+{token}@{mailHost}>";
        return [new("List-Unsubscribe", value), new("List-Unsubscribe-Post", PostValue)];
    }
}
