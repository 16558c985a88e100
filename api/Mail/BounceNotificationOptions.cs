namespace EmailApi.Mail;

/// <summary>
/// <c>Delivery:DsnForApi</c>: bounce notifications (RFC 3464) for messages submitted over HTTP too;
/// SMTP submissions always get them (<see cref="BounceNotification.Wanted(Queue.MessageSource, string, bool)"/>).
/// Bound from the <c>Delivery</c> section but kept here, with <see cref="BounceNotification"/>, because the
/// sender (bounces at delivery time) and the feedback processor (bounces reported later) both follow it,
/// and feedback must not depend on the sender.
/// </summary>
public sealed class BounceNotificationOptions
{
    public bool DsnForApi { get; set; }
}
