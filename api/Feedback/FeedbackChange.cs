using EmailApi.Queue;

namespace EmailApi.Feedback;

/// <summary>
/// What an inbound report (a bounce or complaint that came back to a message's return path) does to
/// one recipient, applied by <see cref="IFeedbackStore.ApplyAsync"/>.
/// </summary>
/// <param name="ReportId">The inbound report; the recipient names it once its status changed (<c>async</c>).</param>
/// <param name="Status"><see cref="RecipientStatus.Bounced"/> or <see cref="RecipientStatus.Complained"/>; null when the report changes no status (a delay, an auto-reply).</param>
/// <param name="Response">The recipient's new last response: the remote server's diagnostic, or the complaint's feedback type.</param>
/// <param name="Report">The report's facts as a JSON object (reporting MTA, status, diagnostic; feedback type, provider), carried by the event.</param>
/// <param name="SuppressionReason">The reason the address goes onto the account's suppression list (source <c>feedback</c>), or null.</param>
/// <param name="Notification">The bounce notification (RFC 3464) to the message's envelope sender, queued only if the status changes; null when none is wanted.</param>
public sealed record FeedbackChange(
    SentRecipient Recipient, string ReportId, RecipientStatus? Status, string? Response, string Report, string? SuppressionReason, DateTimeOffset At,
    NewMessage? Notification = null);

/// <param name="StatusChanged">The recipient took the new status (and an event was logged).</param>
/// <param name="Suppressed">The address was added to the suppression list (false: no reason, or already there).</param>
/// <param name="Notified">The change's bounce notification was queued (with the status change).</param>
public sealed record FeedbackApplied(bool StatusChanged, bool Suppressed, bool Notified = false);
