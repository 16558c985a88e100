using EmailApi.Accounts;
using EmailApi.Domains;
using Microsoft.Extensions.Options;

namespace EmailApi.WebConsole.Pages;

/// <summary>Sending domains through the API's handlers: the records to publish with their status, verify, rotate, add, remove.</summary>
public sealed class DomainsModel(IDomainStore store, DomainRecords records, DkimKeyFactory factory, DomainVerifier verifier,
    DomainSigningKeys signing, IOptions<DomainsOptions> options, TimeProvider clock) : ConsolePage
{
    public IReadOnlyList<DomainResponse> Domains { get; private set; } = [];

    public Task OnGetAsync(CancellationToken ct) => LoadAsync(ct);

    public async Task OnPostAddAsync(string? name, string? keyType, CancellationToken ct)
    {
        if (!User.CanSend()) Forbidden("send");
        else if (Succeeded((await DomainEndpoints.CreateAsync(new CreateDomainRequest(name, keyType, null), User, store, factory, records, options, clock, ct)).Result))
            Notice($"{name} added: publish its records, then verify.");
        await LoadAsync(ct);
    }

    public async Task OnPostVerifyAsync(string? id, CancellationToken ct)
    {
        if (!User.CanSend()) Forbidden("send");
        else if (Succeeded((await DomainEndpoints.VerifyAsync(id ?? "", User, store, verifier, records, options, clock, Response, ct)).Result))
            Notice("Checked the records in DNS just now.");
        await LoadAsync(ct);
    }

    public async Task OnPostRotateAsync(string? id, CancellationToken ct)
    {
        if (!User.CanSend()) Forbidden("send");
        else if (Succeeded((await DomainEndpoints.RotateAsync(id ?? "", User, store, factory, records, ct)).Result))
            Notice("A new DKIM key is waiting: publish its record; signing switches to it once it verifies.");
        await LoadAsync(ct);
    }

    public async Task OnPostRemoveAsync(string? id, CancellationToken ct)
    {
        if (!User.CanSend()) Forbidden("send");
        else if (Succeeded((await DomainEndpoints.DeleteAsync(id ?? "", User, store, signing, ct)).Result)) Notice("Domain removed.");
        await LoadAsync(ct);
    }

    private async Task LoadAsync(CancellationToken ct)
    {
        // The console shows the account in view, even to an operator (whose API list covers every account).
        Domains = (await DomainEndpoints.ListAsync(User, store, records, ct)).Value!.Where(d => d.AccountId == User.AccountId()).ToArray();
    }
}
