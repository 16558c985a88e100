using System.Diagnostics;
using EmailApi.Unsubscribe;

namespace EmailApi.Feedback;

/// <summary>
/// The one place a mailed RFC 2369 unsubscribe (<c>unsub+TOKEN@…</c>) takes effect: the same
/// <see cref="UnsubscribeService"/> as the one-click POST (RFC 8058), so there is one unsubscribe
/// mechanism with one token. Returns the report's effect.
/// </summary>
public sealed class MailedUnsubscribe(UnsubscribeService unsubscribes)
{
    public async Task<string> ApplyAsync(string token, CancellationToken ct) =>
        await unsubscribes.UnsubscribeAsync(token, "mailto", ct) switch
        {
            UnsubscribeOutcome.Unsubscribed => "suppressed",
            UnsubscribeOutcome.AlreadySuppressed => "already-suppressed",
            UnsubscribeOutcome.NotFound => "none",
            var other => throw new UnreachableException(other.ToString()),
        };
}
