using System.Text.Json;
using EmailApi.Domains;
using EmailApi.Mail;
using EmailApi.Queue;
using MimeKit;
using Microsoft.Extensions.Options;

namespace EmailApi.Feedback;

/// <summary>
/// Processes stored inbound reports (sender role): classifies each (<see cref="ReportClassifier"/>),
/// finds the message and recipient from its VERP token, turns a delivered recipient <c>bounced</c>
/// (a failed delivery reported later: <c>async</c>) or <c>complained</c> with an event that carries the
/// report (and so a webhook), and suppresses the address after a hard bounce, a complaint, or
/// <c>Inbound:SoftBouncesToSuppress</c> soft bounces within <c>Inbound:SoftBounceWindow</c>. A report
/// whose token is missing, forged, names no recipient or came to another account's return-path
/// domain changes nothing and is kept, processed, for inspection. A late bounce is also reported to
/// the message's envelope sender as a bounce notification (RFC 3464) under the rule of bounces at
/// delivery time (<see cref="BounceNotification.Wanted(MessageSource, string, bool)"/>), queued with
/// the status change it reports; complaints, delays and auto-replies are never passed on. Effects are
/// idempotent (a suppression already there stays, a recipient bounced already takes no second bounce
/// nor notification), so two nodes processing the same report at once, or a report processed again
/// after a crash, do no harm; the first to mark it processed wins the record.
/// </summary>
public sealed class FeedbackProcessor(
    IFeedbackStore store,
    IDomainStore domains,
    DomainRecords records,
    VerpKeys keys,
    MailedUnsubscribe mailedUnsubscribe,
    IOptions<InboundOptions> options,
    IOptions<BounceNotificationOptions> notifications,
    IOptions<RelayHostOptions> relayHost,
    QueueSignal signal,
    TimeProvider clock,
    ILogger<FeedbackProcessor> log) : BackgroundService
{
    public const string SoftBounceEffect = "soft-bounce";
    private const int BatchSize = 50;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.CamelCase) } };

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var pending = await store.PendingAsync(BatchSize, stoppingToken);
                foreach (var report in pending)
                {
                    var result = await ProcessAsync(report, stoppingToken);
                    // Written even on shutdown: the effects already happened.
                    await store.CompleteAsync(report.Id, result, clock.GetUtcNow(), CancellationToken.None);
                }
                if (pending.Count == BatchSize) continue;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                log.LogError(ex, "Inbound reports could not be processed; retrying");
            }
            try
            {
                await Task.Delay(options.Value.PollInterval, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async Task<ReportResult> ProcessAsync(InboundReport report, CancellationToken ct)
    {
        var at = report.RcptTo.LastIndexOf('@');
        var local = at > 0 ? report.RcptTo[..at] : report.RcptTo;
        FeedbackReport classified;
        try
        {
            using var message = await MimeMessage.LoadAsync(new MemoryStream(report.Raw, writable: false), ct);
            classified = ReportClassifier.Classify(message, local);
        }
        catch (FormatException ex)
        {
            classified = new FeedbackReport.Unrecognised($"not a MIME message: {ex.Message}");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Parsing and classifying are pure: whatever else a hostile report makes them throw would throw
            // again on every retry, and the report would block the ones after it. It is kept as unrecognised.
            log.LogWarning(ex, "Inbound report {Id} could not be classified; kept as unrecognised", report.Id);
            classified = new FeedbackReport.Unrecognised($"could not be parsed ({ex.GetType().Name})");
        }
        var detail = JsonSerializer.Serialize(classified, classified.GetType(), Json);

        if (classified is FeedbackReport.Unsubscribe unsubscribe)
            return new ReportResult(classified.Classification, "none", null, null, null, await mailedUnsubscribe.ApplyAsync(unsubscribe.Token, ct), detail);

        var token = VerpCodec.TokenOf(local, VerpCodec.BouncePrefix);
        var check = token is null ? new TokenCheck.Malformed() : (await keys.CodecAsync(ct)).Decode(token);
        if (check is not TokenCheck.Valid valid)
            return Untouched(report, classified, TokenName(check), detail);
        var recipient = await store.FindRecipientAsync(valid.Token.MessageId, valid.Token.RecipientId, ct);
        if (recipient is null)
            return new ReportResult(classified.Classification, "unknown-recipient", null, valid.Token.MessageId.ToString(), valid.Token.RecipientId, "none", detail);
        // The token is good, but it came to another account's return-path domain: someone holding one
        // account's return path aimed a report through another's. Kept, nothing changed.
        if (!await IsReturnPathOfAsync(recipient.AccountId, at > 0 ? report.RcptTo[(at + 1)..] : "", ct))
            return Untouched(report, classified, "other-account", detail);

        var reason = SuppressionReason(classified);
        var belowSoftLimit = false;
        if (reason is null && IsSoftBounce(classified))
        {
            // This report is not stored as processed yet: the earlier ones plus this one.
            var settings = options.Value;
            var earlier = await store.CountSoftBouncesAsync(recipient.AccountId, recipient.Address, report.ReceivedAt - settings.SoftBounceWindow, ct);
            if (earlier + 1 < settings.SoftBouncesToSuppress) belowSoftLimit = true;
            else reason = "soft-bounces";
        }
        var change = StatusChange(classified, recipient.Address, report.Id);
        var notification = change?.Failed is { } failed ? await NotificationAsync(recipient, failed, ct) : null;
        var applied = change is null && reason is null
            ? new FeedbackApplied(false, false)
            : await store.ApplyAsync(new FeedbackChange(recipient, report.Id, change?.Status, change?.Response, change?.Facts ?? "{}", reason, clock.GetUtcNow(), notification), ct);
        if (applied.Notified)
        {
            // PostgreSQL's NOTIFY at the commit wakes every node's sender; on SQLite this is the only one.
            signal.Notify();
            log.LogInformation("Late bounce of {MessageId} to {Recipient}: notification {Notification} queued to {Sender}",
                recipient.MessageId, recipient.Address, notification!.Id, recipient.EnvelopeFrom);
        }
        var effect = belowSoftLimit ? SoftBounceEffect
            : reason is null ? "recorded"
            : applied.Suppressed ? "suppressed" : "already-suppressed";
        return new ReportResult(classified.Classification, "valid", recipient.AccountId, recipient.MessageId.ToString(), recipient.RecipientId, effect, detail,
            recipient.Address, applied.StatusChanged ? change!.Status.ToDb() : null);
    }

    /// <summary>
    /// The bounce notification for the envelope sender, when the rule wants one and the bounce can
    /// still change the recipient (a repeated report finds it bounced and builds none; the store
    /// queues it only with the change, whoever wins a race).
    /// </summary>
    private async Task<NewMessage?> NotificationAsync(SentRecipient recipient, ReportedRecipient failed, CancellationToken ct)
    {
        if (recipient.Status is not (RecipientStatus.Delivered or RecipientStatus.Sending)
            || !BounceNotification.Wanted(recipient.Source, recipient.EnvelopeFrom, notifications.Value.DsnForApi))
            return null;
        var original = await store.MessageAsync(recipient.MessageId, ct);
        return original is null ? null : LateBounceNotification.Create(original, recipient.Address, failed, relayHost.Value.HostName, clock);
    }

    private ReportResult Untouched(InboundReport report, FeedbackReport classified, string tokenCheck, string detail)
    {
        log.LogInformation("Inbound report {Id} to {Rcpt}: token {Check}; kept, nothing changed", report.Id, report.RcptTo, tokenCheck);
        return new ReportResult(classified.Classification, tokenCheck, null, null, null, "none", detail);
    }

    private async Task<bool> IsReturnPathOfAsync(string accountId, string rcptDomain, CancellationToken ct)
    {
        var name = DomainName.Normalize(rcptDomain);
        return name is not null && (await domains.ListAsync(accountId, ct)).Any(d => records.ReturnPathName(d.Name) == name);
    }

    /// <summary>
    /// The status a report gives its recipient: a failed delivery (RFC 3464 <c>Action: failed</c>, or a
    /// plain-text bounce with a 5xx reply) makes it <c>bounced</c>, whatever the kind (a full mailbox did
    /// not take the message either; only the suppression depends on the kind); a complaint makes it
    /// <c>complained</c>; delays, success notices and auto-replies change nothing. Of a DSN's recipient
    /// groups the one naming the recipient counts, else the first failed one.
    /// </summary>
    private static StatusUpdate? StatusChange(FeedbackReport report, string address, string reportId)
    {
        switch (report)
        {
            case FeedbackReport.Dsn dsn:
                var failed = dsn.Recipients.Where(r => r.Action == "failed").ToArray();
                var group = failed.FirstOrDefault(r => string.Equals(r.Recipient, address, StringComparison.OrdinalIgnoreCase)) ?? failed.FirstOrDefault();
                return group is null ? null : Bounce(report, group, dsn.ReportingMta, reportId);
            case FeedbackReport.PlainBounce { Recipient.Action: "failed" } plain:
                return Bounce(report, plain.Recipient, null, reportId);
            case FeedbackReport.Complaint complaint:
                var facts = JsonSerializer.Serialize(new
                {
                    reportId, classification = report.Classification, complaint.FeedbackType, complaint.Provider, complaint.UserAgent,
                }, Json);
                return new StatusUpdate(RecipientStatus.Complained, $"Complaint ({complaint.FeedbackType}) reported by {complaint.Provider ?? "an unnamed provider"}", facts);
            default:
                return null;
        }
    }

    private static StatusUpdate Bounce(FeedbackReport report, ReportedRecipient r, string? reportingMta, string reportId)
    {
        var facts = JsonSerializer.Serialize(new
        {
            reportId, classification = report.Classification, reportingMta, r.RemoteMta, r.Action, r.Status, r.Diagnostic, r.Kind,
        }, Json);
        return new StatusUpdate(RecipientStatus.Bounced, r.Diagnostic ?? $"Bounce report, status {r.Status}", facts, r);
    }

    /// <param name="Failed">For a bounce, the report's recipient group it comes from.</param>
    private sealed record StatusUpdate(RecipientStatus Status, string Response, string Facts, ReportedRecipient? Failed = null);

    /// <summary>Hard bounces and complaints suppress; soft and policy bounces, delays, auto-replies and the unrecognised do not.</summary>
    private static string? SuppressionReason(FeedbackReport report) => report switch
    {
        FeedbackReport.Dsn dsn when dsn.Recipients.Any(r => r.Kind == BounceKind.Hard) => "bounce",
        FeedbackReport.PlainBounce { Recipient.Kind: BounceKind.Hard } => "bounce",
        FeedbackReport.Complaint => "complaint",
        _ => null,
    };

    private static bool IsSoftBounce(FeedbackReport report) => report switch
    {
        FeedbackReport.Dsn dsn => dsn.Recipients.Any(r => r is { Kind: BounceKind.Soft, Action: "failed" }),
        FeedbackReport.PlainBounce { Recipient: { Kind: BounceKind.Soft, Action: "failed" } } => true,
        _ => false,
    };

    private static string TokenName(TokenCheck check) => check switch
    {
        TokenCheck.Valid => "valid",
        TokenCheck.Forged => "forged",
        _ => "malformed",
    };
}
