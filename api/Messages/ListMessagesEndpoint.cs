using System.Buffers.Text;
using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using System.Text;
using EmailApi.Accounts;
using EmailApi.Queue;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EmailApi.Messages;

public static class ListMessagesEndpoint
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    public static RouteGroupBuilder MapListMessages(this RouteGroupBuilder v1)
    {
        v1.MapGet("/messages", HandleAsync)
            .WithName("ListMessages")
            .WithSummary("The message log, newest first, with filters and cursor pagination")
            .WithDescription("Filters: status (any recipient in that state), recipient, tag, source (api, smtp, dsn), since (inclusive) and until " +
                "(exclusive) as RFC 3339 times. Pass 'next' as 'cursor' for the following page; pages never skip or repeat a message, " +
                "even while new ones arrive.")
            .WithTags("Messages")
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Scopes.Read);
        return v1;
    }

    internal static async Task<Results<Ok<MessagePage>, ValidationProblem>> HandleAsync(
        ClaimsPrincipal user, IMessageLog log,
        [AllowedValues("queued", "sending", "deferred", "delivered", "bounced", "failed", "suppressed", "cancelled", "complained")] string? status,
        string? recipient, string? tag, [AllowedValues("api", "smtp", "dsn")] string? source,
        DateTimeOffset? since, DateTimeOffset? until, string? cursor, int? limit, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        RecipientStatus? statusFilter = null;
        if (status is not null)
        {
            try { statusFilter = RecipientStatusNames.FromDb(status); }
            catch (InvalidDataException) { errors["status"] = ["Use queued, sending, deferred, delivered, bounced, failed, suppressed, cancelled or complained."]; }
        }
        MessageSource? sourceFilter = source switch
        {
            null => null,
            "api" => MessageSource.Api,
            "smtp" => MessageSource.Smtp,
            "dsn" => MessageSource.Dsn,
            _ => null,
        };
        if (source is not null && sourceFilter is null) errors["source"] = ["Use api, smtp or dsn."];
        MessageId? before = null;
        if (cursor is not null)
        {
            if (DecodeCursor(cursor) is { } id) before = id;
            else errors["cursor"] = ["Pass the 'next' value of the previous page unchanged."];
        }
        var size = limit ?? DefaultLimit;
        if (size is < 1 or > MaxLimit) errors["limit"] = [$"'limit' must be 1 to {MaxLimit}."];
        if (recipient is { Length: > 254 }) errors["recipient"] = ["An address has at most 254 characters."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var filter = new MessageFilter(statusFilter, recipient?.Trim(), tag, sourceFilter, since, until);
        var items = await log.ListAsync(user.AccountId(), filter, before, size, ct);
        return TypedResults.Ok(new MessagePage(
            items.Select(MessageListItem.Of).ToArray(),
            items.Count == size ? EncodeCursor(items[^1].Id) : null));
    }

    internal static string EncodeCursor(MessageId id) => Base64Url.EncodeToString(Encoding.ASCII.GetBytes(id.ToString()));

    internal static MessageId? DecodeCursor(string cursor)
    {
        try
        {
            return MessageId.TryParse(Encoding.ASCII.GetString(Base64Url.DecodeFromChars(cursor)), out var id) ? id : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}

/// <summary>A page of the log; <see cref="Next"/> is the cursor of the following page, null on the last.</summary>
public sealed record MessagePage(IReadOnlyList<MessageListItem> Items, string? Next);

public sealed record MessageListItem(
    string Id,
    [property: AllowedValues("api", "smtp", "dsn")] string Source,
    string From,
    string? Subject,
    IReadOnlyList<string> Tags,
    DateTimeOffset CreatedAt,
    DateTimeOffset? SendAt,
    [property: AllowedValues("queued", "sending", "deferred", "delivered", "bounced", "failed", "suppressed", "cancelled", "complained", "partially_delivered", "undelivered")] string Status,
    IReadOnlyList<LoggedRecipient> Recipients)
{
    public static MessageListItem Of(MessageSummary m) => new(
        m.Id.ToString(),
        m.Source.ToDb(),
        m.HeaderFrom ?? m.EnvelopeFrom,
        m.Subject,
        m.Tags,
        m.CreatedAt,
        m.SendAt,
        MessageResponse.RollUp(m.Recipients.Select(r => r.Status).ToArray()),
        m.Recipients.Select(r => new LoggedRecipient(r.Email, r.Status.ToDb(), r.Async)).ToArray());
}

public sealed record LoggedRecipient(string Email, [property: AllowedValues("queued", "sending", "deferred", "delivered", "bounced", "failed", "suppressed", "cancelled", "complained")] string Status, bool Async);
