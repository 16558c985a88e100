namespace EmailApi.Events;

/// <summary>
/// The events an endpoint can subscribe to: a recipient's, each sent as <c>message.&lt;type&gt;</c>
/// (<c>unsubscribed</c>: a one-click or mailed unsubscribe, RFC 8058 and RFC 2369; <c>complained</c>: an RFC 5965
/// complaint came back to the return path; <c>bounced</c> also when a bounce report came back after delivery, with
/// <c>async: true</c>), and a sending domain's, sent as they are named.
/// </summary>
public static class WebhookEventTypes
{
    public static readonly IReadOnlyList<string> Domain = ["domain.verified", "domain.failed"];

    public static readonly IReadOnlyList<string> All = ["queued", "delivered", "deferred", "bounced", "failed", "suppressed", "unsubscribed", "complained", .. Domain];
}
