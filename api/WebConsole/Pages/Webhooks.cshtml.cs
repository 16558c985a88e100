using EmailApi.Accounts;
using EmailApi.Events;
using Microsoft.AspNetCore.Http.HttpResults;

namespace EmailApi.WebConsole.Pages;

/// <summary>Webhook endpoints through the API's handlers (the same address guard), and their latest deliveries.</summary>
public sealed class WebhooksModel(IWebhookStore store, WebhookAddressGuard guard) : ConsolePage
{
    private const int RecentAttempts = 50;

    public IReadOnlyList<WebhookResponse> Webhooks { get; private set; } = [];
    public IReadOnlyList<WebhookAttempt> Attempts { get; private set; } = [];
    public CreatedWebhookResponse? Created { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        Created = await TakeStashedAsync<CreatedWebhookResponse>(ct);
        await LoadAsync(ct);
    }

    public async Task OnPostAddAsync(string? url, string[]? events, CancellationToken ct)
    {
        if (!User.CanSend()) Forbidden("send");
        else
        {
            var result = (await WebhookEndpoints.CreateAsync(new CreateWebhookRequest(url, events), User, store, guard, ct)).Result;
            if (Succeeded(result))
            {
                await StashAsync(((Created<CreatedWebhookResponse>)result).Value, ct);
                return;
            }
        }
        await LoadAsync(ct);
    }

    public async Task OnPostRemoveAsync(string? id, CancellationToken ct)
    {
        if (!User.CanSend()) Forbidden("send");
        else if (Succeeded((await WebhookEndpoints.DeleteAsync(id ?? "", User, store, ct)).Result)) Notice("Endpoint removed; its pending events are dropped.");
        await LoadAsync(ct);
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        Webhooks = (await WebhookEndpoints.ListAsync(User, store, ct)).Value!;
        Attempts = await store.RecentAttemptsAsync(User.AccountId(), RecentAttempts, ct);
    }
}
