namespace EmailApi.Events;

/// <summary>
/// The events an endpoint can subscribe to: a recipient's, each sent as <c>message.&lt;type&gt;</c>
/// (<c>unsubscribed</c>: a one-click unsubscribe, RFC 8058), and a sending domain's, sent as they are named.
/// </summary>
public static class WebhookEventTypes
{
    public static readonly IReadOnlyList<string> Domain = ["domain.verified", "domain.failed"];

    public static readonly IReadOnlyList<string> All = ["queued", "delivered", "deferred", "bounced", "failed", "suppressed", "unsubscribed", .. Domain];
}
