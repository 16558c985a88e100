using EmailApi.Accounts;
using EmailApi.Feedback;
using EmailApi.Messages;
using EmailApi.Queue;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace EmailApi.WebConsole.Pages;

/// <summary>One message: the API's status view, its stored source parsed for people, cancel and (operator) retry now.</summary>
public sealed class MessageModel(IQueueStore store, IFeedbackStore feedback, IMessageLog log, IQueueInsights insights, QueueSignal signal) : ConsolePage
{
    /// <summary>A page stays light even for a 25 MB text body; the download has all of it.</summary>
    public const int MaxTextShown = 200_000;

    [BindProperty(SupportsGet = true)] public string Id { get; set; } = "";

    public MessageResponse? Message { get; private set; }
    public MessageContent? Body { get; private set; }
    public bool HasSource => Body is not null;
    public bool CanCancel => User.CanSend() && Message!.Recipients.Any(r => r is { Status: "queued", Attempts: 0 });
    public bool CanRetry => User.IsAdmin() && Message!.Recipients.Any(r => r.Status == "deferred");

    public string? MxOf(string email) => Message!.Events.LastOrDefault(e => e.Recipient == email && e.Mx is not null)?.Mx;

    public async Task<IActionResult> OnGetAsync(CancellationToken ct) => await LoadAsync(ct) ? Page() : NotFound();

    public async Task<IActionResult> OnPostCancelAsync(CancellationToken ct)
    {
        if (!User.CanSend()) Forbidden("send");
        else if (Succeeded((await CancelMessageEndpoint.HandleAsync(Id, User, log, store, ct)).Result)) Notice("Cancelled the recipients that had not been attempted.");
        return await LoadAsync(ct) ? Page() : NotFound();
    }

    public async Task<IActionResult> OnPostRetryAsync(CancellationToken ct)
    {
        if (!User.IsAdmin()) Forbidden("admin");
        else if (MessageId.TryParse(Id, out var id))
        {
            var n = await insights.RetryNowAsync(User.AccountId(), id, ct);
            signal.Notify();
            Notice(n == 0 ? "No recipient of this message is deferred." : $"{n} deferred recipient(s) are due now.");
        }
        return await LoadAsync(ct) ? Page() : NotFound();
    }

    private async Task<bool> LoadAsync(CancellationToken ct)
    {
        // The API's handler: another account's message is a 404, exactly like a missing one.
        if ((await GetMessageEndpoint.HandleAsync(Id, User, store, feedback, ct)).Result is not Ok<MessageResponse> { Value: { } message }) return false;
        Message = message;
        if (MessageId.TryParse(Id, out var id) && await insights.SourceAsync(User.AccountId(), id, ct) is { Bytes: { } bytes })
            Body = MessageContent.Parse(bytes);
        ViewData["Title"] = string.IsNullOrEmpty(message.Subject) ? "Message" : message.Subject;
        return true;
    }
}
