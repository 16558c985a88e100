using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using EmailApi.Accounts;
using EmailApi.Feedback;
using EmailApi.Queue;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EmailApi.Messages;

public static class GetMessageEndpoint
{
    private const int MaxInboundReports = 50;

    public static RouteGroupBuilder MapGetMessage(this RouteGroupBuilder v1)
    {
        v1.MapGet("/messages/{id}", HandleAsync)
            .WithName("GetMessage")
            .WithSummary("A message with each recipient's delivery status and its event timeline")
            .WithTags("Messages")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Scopes.Read);
        return v1;
    }

    internal static async Task<Results<Ok<MessageResponse>, ProblemHttpResult>> HandleAsync(
        string id, ClaimsPrincipal user, IQueueStore store, IFeedbackStore feedback, CancellationToken ct)
    {
        // Another account's message answers exactly like a missing one: ids reveal nothing across tenants.
        if (!MessageId.TryParse(id, out var messageId) || await store.FindMessageAsync(user.AccountId(), messageId, ct) is not { } message)
            return TypedResults.Problem($"No message with id '{id}'.", statusCode: StatusCodes.Status404NotFound, title: "Not found");
        // Only reports whose token was valid carry the account: a forged one never shows on a message.
        var reports = await feedback.ListAsync(user.AccountId(), messageId.ToString(), null, null, MaxInboundReports, ct);
        return TypedResults.Ok(MessageResponse.Of(message, reports));
    }
}

public sealed record MessageResponse(
    string Id,
    [property: AllowedValues("api", "smtp", "dsn")] string Source,
    string From,
    string? Subject,
    DateTimeOffset CreatedAt,
    [property: AllowedValues("queued", "sending", "deferred", "delivered", "bounced", "failed", "suppressed", "cancelled", "complained", "partially_delivered", "undelivered")] string Status,
    long Size,
    IReadOnlyList<string> Tags,
    IReadOnlyDictionary<string, string>? Metadata,
    IReadOnlyList<RecipientResponse> Recipients,
    IReadOnlyList<EventResponse> Events,
    IReadOnlyList<MessageInboundReport> InboundReports)
{
    public static MessageResponse Of(MessageView m, IReadOnlyList<InboundReportView>? reports = null) => new(
        m.Id.ToString(),
        m.Source.ToDb(),
        m.HeaderFrom ?? m.EnvelopeFrom,
        m.Subject,
        m.CreatedAt,
        RollUp(m.Recipients.Select(r => r.Status).ToArray()),
        m.Size,
        m.Tags,
        m.Metadata,
        m.Recipients.Select(r => new RecipientResponse(r.Email, r.Status.ToDb(), r.Attempts, r.LastResponse, r.LastReplyCode, r.LastEnhancedStatus, r.NextAttemptAt, r.UpdatedAt, r.Async)).ToArray(),
        m.Events.Select(e => new EventResponse(e.Type, e.Recipient, e.Detail, e.ReplyCode, e.EnhancedStatus, e.Mx, e.At, e.Report is not null,
            e.Report is null ? null : System.Text.Json.JsonDocument.Parse(e.Report).RootElement.Clone())).ToArray(),
        (reports ?? []).Select(r => new MessageInboundReport(
            r.Recipient, r.ReceivedAt, r.Classification ?? "pending", r.Effect, r.RecipientStatus,
            r.Detail is null ? null : System.Text.Json.JsonDocument.Parse(r.Detail).RootElement.Clone())).ToArray());

    /// <summary>
    /// One word for the whole message: while any recipient is live, the most telling live state
    /// (deferred, then sending, then queued); once all are final, their shared state, or
    /// <c>partially_delivered</c> / <c>undelivered</c> for a mix.
    /// </summary>
    internal static string RollUp(IReadOnlyList<RecipientStatus> statuses)
    {
        if (statuses.Count == 0) return "queued";
        if (statuses.Contains(RecipientStatus.Deferred)) return "deferred";
        if (statuses.Contains(RecipientStatus.Sending)) return "sending";
        if (statuses.Contains(RecipientStatus.Queued)) return "queued";
        if (statuses.Distinct().Count() == 1) return statuses[0].ToDb();
        // A complaint is about mail that arrived: beside delivered recipients it reads as delivered.
        if (statuses.All(s => s is RecipientStatus.Delivered or RecipientStatus.Complained)) return "delivered";
        return statuses.Any(s => s is RecipientStatus.Delivered or RecipientStatus.Complained) ? "partially_delivered" : "undelivered";
    }
}

/// <param name="LastResponse">The last attempt's reply as one line, e.g. <c>550 5.1.1 No such user</c>.</param>
/// <param name="LastReplyCode">That reply's SMTP code (RFC 5321 §4.2); null when no server answered (our own verdict, such as a DNS or connection failure).</param>
/// <param name="LastEnhancedStatus">That reply's enhanced status (RFC 3463), e.g. <c>5.1.1</c>; null when the server gave none.</param>
public sealed record RecipientResponse(string Email, [property: AllowedValues("queued", "sending", "deferred", "delivered", "bounced", "failed", "suppressed", "cancelled", "complained")] string Status, int Attempts, string? LastResponse,
    int? LastReplyCode, string? LastEnhancedStatus, DateTimeOffset? NextAttemptAt, DateTimeOffset UpdatedAt, bool Async);

/// <summary>A report that came back to this message's return path for one of its recipients (bounce, complaint, auto-reply).</summary>
/// <param name="Detail">The classification's fields: per-recipient action, status, diagnostic and reporting MTA; or feedback type and provider.</param>
/// <param name="RecipientStatus">The status the report gave the recipient (<c>bounced</c>, <c>complained</c>), or null.</param>
public sealed record MessageInboundReport(string? Recipient, DateTimeOffset ReceivedAt, string Classification, string? Effect, string? RecipientStatus,
    System.Text.Json.JsonElement? Detail);

/// <param name="ReplyCode">For a delivery attempt, the SMTP reply code in <c>detail</c>; null when no server answered or for other events.</param>
/// <param name="EnhancedStatus">For a delivery attempt, the RFC 3463 enhanced status in <c>detail</c>; null when there was none.</param>
/// <param name="Async">The event came from an inbound report (a bounce or complaint sent back after our delivery), not from our own attempt.</param>
/// <param name="Report">For such an event, what the report said: classification, reporting MTA, action, status and diagnostic; or feedback type and provider.</param>
public sealed record EventResponse(string Type, string? Recipient, string? Detail, int? ReplyCode, string? EnhancedStatus, string? Mx, DateTimeOffset At, bool Async,
    System.Text.Json.JsonElement? Report);
