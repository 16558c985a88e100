using EmailApi.Accounts;

namespace EmailApi.Sending;

/// <summary>
/// The account default for unsubscribe (issue 16 point 3): a JSON-sent message carrying one of the
/// account's <see cref="Account.UnsubscribeTags"/> is treated as if it said <c>"unsubscribe": true</c>.
/// The request's own <c>"unsubscribe"</c>, true or false, always wins; so does a List-Unsubscribe
/// header the sender wrote, since then the sender runs its own unsubscribe (RFC 2369).
/// </summary>
internal static class UnsubscribeDefault
{
    /// <summary>
    /// The request to validate and send, or the problem when the default applies to a message the
    /// link cannot fit: each recipient needs a link of their own (RFC 8058 §3.1 identifies one recipient).
    /// </summary>
    public static (SendMessageRequest Request, Dictionary<string, string[]>? Errors) Apply(SendMessageRequest request, Account? account)
    {
        if (request.Unsubscribe is not null || account?.UnsubscribeTagIn(request.Tags) is not { } tag) return (request, null);
        if (request.Headers?.Keys.Any(h => h.Equals("List-Unsubscribe", StringComparison.OrdinalIgnoreCase)) == true) return (request, null);
        var count = (request.To?.Count ?? 0) + (request.Cc?.Count ?? 0) + (request.Bcc?.Count ?? 0);
        if (count > 1)
            return (request, new Dictionary<string, string[]>
            {
                ["unsubscribe"] = [$"Messages tagged '{tag}' get one-click unsubscribe by the account's default (unsubscribeTags), and each recipient " +
                    $"needs a link of their own: one recipient per message; got {count}. Send one message per recipient (POST /v1/send/batch), " +
                    "or set \"unsubscribe\": false."],
            });
        return (request with { Unsubscribe = true }, null);
    }
}
