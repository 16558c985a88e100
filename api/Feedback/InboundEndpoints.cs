using System.ComponentModel.DataAnnotations;
using EmailApi.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EmailApi.Feedback;

/// <summary>
/// <c>GET /v1/inbound</c> (admin): the reports the inbound listener took, newest first, with their
/// classification, what the token said and what changed. Admin only, since a report whose token
/// is forged or missing belongs to no account.
/// </summary>
public static class InboundEndpoints
{
    private const int DefaultLimit = 50;
    private const int MaxLimit = 200;

    public static RouteGroupBuilder MapInbound(this RouteGroupBuilder v1)
    {
        v1.MapGet("/inbound", ListAsync).WithTags("Inbound").WithName("ListInboundReports")
            .WithSummary("List inbound reports (bounces, complaints, auto-replies, mailed unsubscribes) and what each changed")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Scopes.Admin);
        return v1;
    }

    internal static async Task<Results<Ok<InboundReportPage>, ValidationProblem>> ListAsync(
        IFeedbackStore store, string? accountId, string? messageId, string? classification, string? cursor, int? limit, CancellationToken ct)
    {
        var size = limit ?? DefaultLimit;
        if (size is < 1 or > MaxLimit)
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = [$"must be between 1 and {MaxLimit}"] });
        if (classification is not null && !Classifications.Contains(classification))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["classification"] = [$"must be one of {string.Join(", ", Classifications)}"] });
        var items = await store.ListAsync(accountId, messageId, classification, cursor, size, ct);
        return TypedResults.Ok(new InboundReportPage(items.Select(InboundReportResponse.From).ToArray(), items.Count == size ? items[^1].Id : null));
    }

    private static readonly string[] Classifications = ["dsn", "plain-bounce", "complaint", "auto-reply", "unsubscribe", "unrecognised"];
}

public sealed record InboundReportPage(IReadOnlyList<InboundReportResponse> Items, string? Next);

/// <param name="TokenCheck">What the VERP token said: only <c>valid</c> changes anything.</param>
/// <param name="Effect">What the suppression list got: <c>suppressed</c>, <c>already-suppressed</c>, <c>soft-bounce</c> (counted, below the limit), <c>recorded</c>, or <c>none</c>.</param>
/// <param name="RecipientStatus">The status the report gave its recipient (<c>bounced</c> with <c>async</c>, or <c>complained</c>); null when it changed none.</param>
/// <param name="Detail">The classification's fields (per-recipient action, status, diagnostic, reporting MTA; feedback type and provider).</param>
public sealed record InboundReportResponse(
    string Id,
    DateTimeOffset ReceivedAt,
    string Remote,
    string MailFrom,
    string RcptTo,
    [property: AllowedValues("pending", "processed")] string State,
    string? Classification,
    string? TokenCheck,
    string? AccountId,
    string? MessageId,
    string? Recipient,
    string? Effect,
    [property: AllowedValues("bounced", "complained", null)] string? RecipientStatus,
    System.Text.Json.JsonElement? Detail,
    DateTimeOffset? ProcessedAt)
{
    public static InboundReportResponse From(InboundReportView v) => new(v.Id, v.ReceivedAt, v.Remote, v.MailFrom, v.RcptTo, v.State,
        v.Classification, v.TokenCheck, v.AccountId, v.MessageId, v.Recipient, v.Effect, v.RecipientStatus,
        v.Detail is null ? null : System.Text.Json.JsonDocument.Parse(v.Detail).RootElement.Clone(), v.ProcessedAt);
}
