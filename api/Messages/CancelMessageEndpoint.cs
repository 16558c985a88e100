using System.Diagnostics;
using System.Security.Claims;
using EmailApi.Accounts;
using EmailApi.Queue;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EmailApi.Messages;

public static class CancelMessageEndpoint
{
    public static RouteGroupBuilder MapCancelMessage(this RouteGroupBuilder v1)
    {
        v1.MapDelete("/messages/{id}", HandleAsync)
            .WithName("CancelMessage")
            .WithSummary("Cancel the recipients of a message that have not been attempted yet (e.g. a scheduled send)")
            .WithDescription("Answers with the message as it now stands. 409 when nothing was left to cancel: every recipient was already attempted or done.")
            .WithTags("Messages")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireAuthorization(Scopes.Send);
        return v1;
    }

    internal static async Task<Results<Ok<MessageResponse>, ProblemHttpResult>> HandleAsync(
        string id, ClaimsPrincipal user, IMessageLog log, CancellationToken ct)
    {
        var account = user.AccountId();
        if (!MessageId.TryParse(id, out var messageId)) return NotFound(id);
        switch (await log.CancelAsync(account, messageId, ct))
        {
            case CancelOutcome.NotFound:
                return NotFound(id);
            case CancelOutcome.Cancelled { Recipients.Count: 0 }:
                return TypedResults.Problem("Every recipient of this message was already attempted or is done; nothing was cancelled.",
                    statusCode: StatusCodes.Status409Conflict, title: "Nothing to cancel");
            case CancelOutcome.Cancelled:
                var message = await log.FindAsync(account, messageId, ct) ?? throw new InvalidOperationException($"Message {id} vanished.");
                return TypedResults.Ok(MessageResponse.Of(message));
            case var other:
                throw new UnreachableException(other.ToString());
        }
    }

    // Another account's message answers exactly like a missing one.
    private static ProblemHttpResult NotFound(string id) =>
        TypedResults.Problem($"No message with id '{id}'.", statusCode: StatusCodes.Status404NotFound, title: "Not found");
}
