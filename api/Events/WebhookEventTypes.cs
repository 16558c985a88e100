namespace EmailApi.Events;

/// <summary>The recipient events an endpoint can subscribe to; each is sent as <c>message.&lt;type&gt;</c> (<c>unsubscribed</c>: a one-click unsubscribe, RFC 8058).</summary>
public static class WebhookEventTypes
{
    public static readonly IReadOnlyList<string> All = ["queued", "delivered", "deferred", "bounced", "failed", "suppressed", "unsubscribed"];
}
