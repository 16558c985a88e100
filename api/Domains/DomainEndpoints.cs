using System.Globalization;
using System.Security.Claims;
using EmailApi.Accounts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace EmailApi.Domains;

/// <summary>
/// An account's sending domains: create one (and its first DKIM key), read the DNS records to
/// publish with what DNS shows for each, check them now, rotate the key, delete. Another account's
/// domain answers 404 as if it did not exist; an admin key sees and checks every account's domains.
/// Private keys never appear in any answer.
/// </summary>
public static class DomainEndpoints
{
    private const string Example = """
        Example: POST /v1/domains {"name":"example.com"} answers 201 with
        {"id":"dom_…","name":"example.com","unicodeName":"example.com","status":"pending","records":[
         {"purpose":"dkim","name":"ea20261204a1b2c3._domainkey.example.com","type":"TXT","value":"v=DKIM1; k=rsa; p=MIIBIjAN…","status":"notChecked"},
         {"purpose":"spf","name":"example.com","type":"TXT","value":"v=spf1 ip4:203.0.113.25 ~all","status":"notChecked"},
         {"purpose":"dmarc","name":"_dmarc.example.com","type":"TXT","value":"v=DMARC1; p=none; rua=mailto:dmarc-reports@example.com","status":"notChecked"},
         {"purpose":"returnPath","name":"bounces.example.com","type":"MX","value":"10 mx.relay.example.net","status":"notChecked"}], …}.
        Publish the records, then POST /v1/domains/{id}/verify. The domain is verified when its DKIM record is seen;
        SPF (evaluated for the relay's public addresses, RFC 7208), DMARC and the return path are reported beside it.
        """;

    public static RouteGroupBuilder MapDomains(this RouteGroupBuilder v1)
    {
        var group = v1.MapGroup("/domains").WithTags("Domains");
        group.MapPost("/", CreateAsync).WithName("CreateDomain")
            .WithSummary("Add a sending domain and its first DKIM key; the answer lists the DNS records to publish")
            .WithDescription("keyType: rsa2048 (default), rsa1024, or ed25519 (RFC 8463: an Ed25519 key signs beside an RSA 2048 key, never alone). " +
                             "dmarcRua: where DMARC aggregate reports should go (default mailto:dmarc-reports@<domain>). " +
                             "International names are stored as A-labels and shown in both forms. 409 when the domain is already registered. " + Example)
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireAuthorization(Scopes.Send);
        group.MapGet("/", ListAsync).WithName("ListDomains").WithSummary("The account's sending domains (an admin key: every account's)")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden)
            .RequireAuthorization(Scopes.Read);
        group.MapGet("/{id}", GetAsync).WithName("GetDomain")
            .WithSummary("A sending domain: its status, its DKIM keys and the DNS records to publish, each with what the last check saw")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Scopes.Read);
        group.MapPost("/{id}/verify", VerifyAsync).WithName("VerifyDomain")
            .WithSummary("Look the domain's records up in DNS now")
            .WithDescription("Each record ends missing, mismatch (with the value found) or ok. A record DNS does not answer for (timeout, SERVFAIL) " +
                             "keeps its last status and lastError says why. At most one check per domain every Domains:MinVerifyInterval (429 with Retry-After). " +
                             "Verified domains are checked again daily, unverified ones with back-off.")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status429TooManyRequests)
            .RequireAuthorization(Scopes.Send);
        group.MapPost("/{id}/rotate", RotateAsync).WithName("RotateDomainKey")
            .WithSummary("Make a new DKIM key with a new selector; it signs once its record verifies, and the old key is listed as retiring until its record may be deleted")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequireAuthorization(Scopes.Send);
        group.MapDelete("/{id}", DeleteAsync).WithName("DeleteDomain").WithSummary("Remove a sending domain and its keys; mail from it is no longer signed")
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden).ProducesProblem(StatusCodes.Status404NotFound)
            .RequireAuthorization(Scopes.Send);
        return v1;
    }

    internal static async Task<Results<Created<DomainResponse>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        CreateDomainRequest request, ClaimsPrincipal user, IDomainStore store, DkimKeyFactory factory, DomainRecords records,
        IOptions<DomainsOptions> options, TimeProvider clock, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        var name = DomainName.Normalize(request.Name);
        if (name is null)
            errors["name"] = ["'name' must be a domain name of at least two labels (e.g. example.com); international names are accepted."];
        DkimAlgorithm? algorithm = request.KeyType?.ToLowerInvariant() switch
        {
            null or "rsa2048" => DkimAlgorithm.Rsa2048,
            "rsa1024" => DkimAlgorithm.Rsa1024,
            "ed25519" => DkimAlgorithm.Ed25519,
            _ => null,
        };
        if (algorithm is null) errors["keyType"] = ["'keyType' must be rsa2048, rsa1024 or ed25519."];
        if (request.DmarcRua is { } rua && !ValidRua(rua))
            errors["dmarcRua"] = ["'dmarcRua' must be a mailto: URI, e.g. mailto:dmarc@example.com (RFC 7489 §6.2)."];
        var accountId = user.AccountId();
        if (errors.Count == 0 && await store.CountAsync(accountId, ct) >= options.Value.MaxDomainsPerAccount)
            errors["name"] = [$"At most {options.Value.MaxDomainsPerAccount} domains per account."];
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);

        var now = clock.GetUtcNow();
        var id = $"dom_{Guid.CreateVersion7(now):N}";
        // Ed25519 alone would leave receivers without RFC 8463 support unable to verify: it always comes with RSA.
        IReadOnlyList<DomainKey> keys = algorithm == DkimAlgorithm.Ed25519
            ? [factory.Create(id, DkimAlgorithm.Rsa2048), factory.Create(id, DkimAlgorithm.Ed25519)]
            : [factory.Create(id, algorithm!.Value)];
        var domain = new SendingDomain(id, accountId, name!, DomainStatus.Pending, request.DmarcRua,
            new Dictionary<string, DnsRecordCheck>(), null, now, null, null, now + options.Value.PendingRecheckMin, 0);
        return await store.CreateAsync(domain, keys, ct) switch
        {
            DomainCreate.Created created => TypedResults.Created($"/v1/domains/{id}", DomainResponse.From(created.Domain, keys, records)),
            DomainCreate.NameTaken { SameAccount: true } => TypedResults.Problem(
                $"The domain '{name}' is already one of this account's domains; see GET /v1/domains.", statusCode: StatusCodes.Status409Conflict, title: "Domain exists"),
            DomainCreate.NameTaken => TypedResults.Problem(
                $"The domain '{name}' is registered by another account.", statusCode: StatusCodes.Status409Conflict, title: "Domain taken"),
            var other => throw new InvalidOperationException(other.ToString()),
        };
    }

    internal static async Task<Ok<IReadOnlyList<DomainResponse>>> ListAsync(ClaimsPrincipal user, IDomainStore store, DomainRecords records, CancellationToken ct)
    {
        var domains = await store.ListAsync(Scope(user), ct);
        var answers = new List<DomainResponse>(domains.Count);
        foreach (var domain in domains) answers.Add(DomainResponse.From(domain, await store.KeysAsync(domain.Id, ct), records));
        return TypedResults.Ok<IReadOnlyList<DomainResponse>>(answers);
    }

    internal static async Task<Results<Ok<DomainResponse>, ProblemHttpResult>> GetAsync(
        string id, ClaimsPrincipal user, IDomainStore store, DomainRecords records, CancellationToken ct)
    {
        if (await store.FindAsync(id, Scope(user), ct) is not { } domain) return NotFound(id);
        var events = await store.EventsAsync(domain.AccountId, id, 0, 100, ct);
        return TypedResults.Ok(DomainResponse.From(domain, await store.KeysAsync(id, ct), records) with
        {
            Events = events.TakeLast(20).Select(e => new DomainEventResponse(e.Type, e.Detail, e.CreatedAt)).ToArray(),
        });
    }

    internal static async Task<Results<Ok<DomainResponse>, ProblemHttpResult>> VerifyAsync(
        string id, ClaimsPrincipal user, IDomainStore store, DomainVerifier verifier, DomainRecords records, IOptions<DomainsOptions> options,
        TimeProvider clock, HttpResponse response, CancellationToken ct)
    {
        if (await store.FindAsync(id, Scope(user), ct) is not { } domain) return NotFound(id);
        var now = clock.GetUtcNow();
        var interval = options.Value.MinVerifyInterval;
        if (!await store.TryClaimCheckAsync(id, now, now - interval, ct))
        {
            var checkedAt = (await store.FindAsync(id, null, ct))?.CheckedAt ?? now;
            var wait = Math.Max(1, (long)Math.Ceiling((checkedAt + interval - now).TotalSeconds));
            response.Headers.RetryAfter = wait.ToString(CultureInfo.InvariantCulture);
            return TypedResults.Problem($"The domain '{domain.Name}' was checked less than {interval.TotalSeconds:0} seconds ago; try again in {wait} s.",
                statusCode: StatusCodes.Status429TooManyRequests, title: "Checked too recently");
        }
        var verified = await verifier.VerifyAsync(domain, ct);
        return TypedResults.Ok(DomainResponse.From(verified, await store.KeysAsync(id, ct), records));
    }

    internal static async Task<Results<Ok<DomainResponse>, ProblemHttpResult>> RotateAsync(
        string id, ClaimsPrincipal user, IDomainStore store, DkimKeyFactory factory, DomainRecords records, CancellationToken ct)
    {
        if (await store.FindAsync(id, Scope(user), ct) is not { } domain) return NotFound(id);
        var keys = await store.KeysAsync(id, ct);
        if (keys.Any(k => k.State == KeyState.Pending))
            return TypedResults.Problem($"A new key of '{domain.Name}' is waiting for its DNS record; publish it and verify before rotating again.",
                statusCode: StatusCodes.Status409Conflict, title: "Rotation pending");
        var families = keys.Where(k => k.State == KeyState.Active).Select(k => k.Algorithm).Distinct().DefaultIfEmpty(DkimAlgorithm.Rsa2048);
        foreach (var algorithm in families) await store.AddKeyAsync(factory.Create(id, algorithm), ct);
        return TypedResults.Ok(DomainResponse.From(domain, await store.KeysAsync(id, ct), records));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        string id, ClaimsPrincipal user, IDomainStore store, DomainSigningKeys signing, CancellationToken ct)
    {
        if (await store.FindAsync(id, Scope(user), ct) is not { } domain || !await store.DeleteAsync(id, Scope(user), ct)) return NotFound(id);
        signing.Invalidate(domain.AccountId);
        return TypedResults.NoContent();
    }

    /// <summary>An admin key reaches every account's domains; any other only its own account's.</summary>
    private static string? Scope(ClaimsPrincipal user) =>
        user.HasClaim(ApiKeyAuthenticationHandler.ScopeClaim, Scopes.Admin) ? null : user.AccountId();

    private static ProblemHttpResult NotFound(string id) =>
        TypedResults.Problem($"No domain with id '{id}'.", statusCode: StatusCodes.Status404NotFound, title: "Not found");

    private static bool ValidRua(string rua) =>
        rua.Length <= 512 && rua.Split(',').All(u => u.Trim().StartsWith("mailto:", StringComparison.OrdinalIgnoreCase)
            && Mail.AddressRules.IsValid(u.Trim()[7..].Split('!')[0]) && !u.Contains(';'));
}

/// <param name="Name">The domain, e.g. example.com (an international name is stored as its A-label).</param>
/// <param name="KeyType">rsa2048 (default), rsa1024 or ed25519 (signs beside an RSA 2048 key).</param>
/// <param name="DmarcRua">Where DMARC aggregate reports go, as a mailto: URI.</param>
public sealed record CreateDomainRequest(string? Name, string? KeyType, string? DmarcRua);

/// <summary>A sending domain as the API shows it: never a private key.</summary>
public sealed record DomainResponse(
    string Id,
    string AccountId,
    string Name,
    string UnicodeName,
    DomainStatus Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset? VerifiedAt,
    DateTimeOffset? CheckedAt,
    DateTimeOffset NextCheckAt,
    string? LastError,
    IReadOnlyList<DnsRecordResponse> Records,
    IReadOnlyList<DomainKeyResponse> Keys)
{
    /// <summary>The latest <c>domain.verified</c> / <c>domain.failed</c> events (only in <c>GET /v1/domains/{id}</c>).</summary>
    public IReadOnlyList<DomainEventResponse>? Events { get; init; }

    public static DomainResponse From(SendingDomain domain, IReadOnlyList<DomainKey> keys, DomainRecords records) => new(
        domain.Id, domain.AccountId, domain.Name, DomainName.Unicode(domain.Name), domain.Status, domain.CreatedAt, domain.VerifiedAt,
        domain.CheckedAt, domain.NextCheckAt, domain.LastError,
        records.For(domain, keys).Select(r => domain.Checks.TryGetValue(r.Key, out var check)
            ? new DnsRecordResponse(r.Purpose, r.Name, r.Type, r.Value, check.Status, check.Found, check.CheckedAt, r.DkimKey?.Selector)
            : new DnsRecordResponse(r.Purpose, r.Name, r.Type, r.Value, RecordStatus.NotChecked, null, null, r.DkimKey?.Selector)).ToArray(),
        keys.Select(k => new DomainKeyResponse(k.Selector, k.Algorithm, k.State, k.CreatedAt, k.ActivatedAt, k.RetireAfter)).ToArray());
}

public sealed record DomainEventResponse(string Type, string? Detail, DateTimeOffset At);

/// <param name="Found">On a mismatch: the value DNS holds instead.</param>
public sealed record DnsRecordResponse(RecordPurpose Purpose, string Name, string Type, string Value, RecordStatus Status, string? Found,
    DateTimeOffset? CheckedAt, string? Selector);

/// <param name="RetireAfter">For a retiring key: the record may be deleted after this time (mail signed before the switch has been delivered by then).</param>
public sealed record DomainKeyResponse(string Selector, DkimAlgorithm Algorithm, KeyState State, DateTimeOffset CreatedAt,
    DateTimeOffset? ActivatedAt, DateTimeOffset? RetireAfter);
