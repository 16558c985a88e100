using System.Text.Json;
using EmailApi.Queue;
using EmailApi.Suppressions;
using MimeKit;
using Microsoft.Extensions.Options;

namespace EmailApi.Feedback;

/// <summary>
/// Processes stored inbound reports (sender role): classifies each (<see cref="ReportClassifier"/>),
/// finds the message and recipient from its VERP token, and suppresses the address after a hard
/// bounce, a complaint, or <c>Inbound:SoftBouncesToSuppress</c> soft bounces within
/// <c>Inbound:SoftBounceWindow</c>. A report whose token is missing, forged or names no recipient changes
/// nothing and is kept, processed, for inspection. Effects are idempotent (a suppression already
/// there stays), so two nodes processing the same report at once do no harm; the first to mark
/// it processed wins the record.
/// </summary>
public sealed class FeedbackProcessor(
    IFeedbackStore store,
    ISuppressionStore suppressions,
    VerpKeys keys,
    MailedUnsubscribe mailedUnsubscribe,
    IOptions<InboundOptions> options,
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
        var detail = JsonSerializer.Serialize(classified, classified.GetType(), Json);

        if (classified is FeedbackReport.Unsubscribe unsubscribe)
            return new ReportResult(classified.Classification, "none", null, null, null, await mailedUnsubscribe.ApplyAsync(unsubscribe.Token, ct), detail);

        var token = VerpCodec.TokenOf(local, VerpCodec.BouncePrefix);
        var check = token is null ? new TokenCheck.Malformed() : (await keys.CodecAsync(ct)).Decode(token);
        if (check is not TokenCheck.Valid valid)
        {
            log.LogInformation("Inbound report {Id} to {Rcpt}: token {Check}; kept, nothing changed", report.Id, report.RcptTo, TokenName(check));
            return new ReportResult(classified.Classification, TokenName(check), null, null, null, "none", detail);
        }
        var recipient = await store.FindRecipientAsync(valid.Token.MessageId, valid.Token.RecipientId, ct);
        if (recipient is null)
            return new ReportResult(classified.Classification, "unknown-recipient", null, valid.Token.MessageId.ToString(), valid.Token.RecipientId, "none", detail);

        var reason = SuppressionReason(classified);
        if (reason is null && IsSoftBounce(classified))
        {
            // This report is not stored as processed yet: the earlier ones plus this one.
            var settings = options.Value;
            var earlier = await store.CountSoftBouncesAsync(recipient.AccountId, recipient.Address, report.ReceivedAt - settings.SoftBounceWindow, ct);
            if (earlier + 1 < settings.SoftBouncesToSuppress)
                return new ReportResult(classified.Classification, "valid", recipient.AccountId, recipient.MessageId.ToString(), recipient.RecipientId, SoftBounceEffect, detail, recipient.Address);
            reason = "soft-bounces";
        }
        var effect = reason is null ? "recorded"
            : await suppressions.AddAsync(recipient.AccountId, recipient.Address, reason, SuppressionSource.Feedback, ct) ? "suppressed" : "already-suppressed";
        return new ReportResult(classified.Classification, "valid", recipient.AccountId, recipient.MessageId.ToString(), recipient.RecipientId, effect, detail, recipient.Address);
    }

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
