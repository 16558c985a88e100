using EmailApi.Queue;
using EmailApi.Suppressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace EmailApi.WebConsole.Pages;

/// <summary>The suppression list through the API's handlers: list in address order, add with a reason, remove.</summary>
public sealed class SuppressionsModel(IQueueStore store, TimeProvider clock) : ConsolePage
{
    [BindProperty(SupportsGet = true)] public string? Q { get; set; }
    [BindProperty(SupportsGet = true)] public string? After { get; set; }

    public IReadOnlyList<SuppressionResponse> Items { get; private set; } = [];
    public string? Next { get; private set; }

    public Task OnGetAsync(CancellationToken ct) => LoadAsync(ct);

    public async Task OnPostAddAsync(string? email, string? reason, CancellationToken ct)
    {
        if (!User.CanSend()) Forbidden("send");
        else if (reason is { Length: > 200 }) Error("A reason has at most 200 characters.");
        else if (Succeeded((await SuppressionEndpoints.AddAsync(new AddSuppressionRequest(email ?? "", reason), User, store, clock, ct)).Result))
            Notice($"{email!.Trim().ToLowerInvariant()} is suppressed.");
        await LoadAsync(ct);
    }

    public async Task OnPostRemoveAsync(string? email, CancellationToken ct)
    {
        if (!User.CanSend()) Forbidden("send");
        else if (Succeeded((await SuppressionEndpoints.RemoveAsync(email ?? "", User, store, ct)).Result))
            Notice($"{email} is no longer suppressed.");
        await LoadAsync(ct);
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        Q = string.IsNullOrWhiteSpace(Q) ? null : Q.Trim().ToLowerInvariant();
        // A search starts the address-ordered list just before the first address with that beginning.
        var after = Q is { Length: > 0 } q ? q[..^1] + (char)(q[^1] - 1) + '\uffff' : After;
        var page = (await SuppressionEndpoints.ListAsync(User, store, after, ct)).Value!;
        Items = Q is null ? page.Items : page.Items.TakeWhile(s => s.Email.StartsWith(Q, StringComparison.Ordinal)).ToArray();
        Next = Q is null ? page.Next : null;
    }
}
