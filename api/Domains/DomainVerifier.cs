using Microsoft.Extensions.Options;

namespace EmailApi.Domains;

/// <summary>
/// Checks a domain's records now and moves it on: a pending key whose record is seen becomes the
/// active key of its algorithm (the key it replaces becomes <c>retiring</c> until
/// <see cref="DomainsOptions.RetiringKeyGrace"/> has passed, then is dropped); the domain is
/// <c>verified</c> while every active key's record is there. A record that cannot be looked up
/// (timeout, SERVFAIL) keeps its last status and the check says why, so a DNS outage never
/// unverifies a domain. Emits <c>domain.verified</c> and <c>domain.failed</c> (a verified DKIM
/// record disappeared or changed).
/// </summary>
public sealed class DomainVerifier(IDomainStore store, DomainRecords records, RecordChecker checker, DomainSigningKeys signing,
    IOptions<DomainsOptions> options, TimeProvider clock, ILogger<DomainVerifier> log)
{
    public async Task<SendingDomain> VerifyAsync(SendingDomain domain, CancellationToken ct)
    {
        var settings = options.Value;
        var now = clock.GetUtcNow();
        var keys = (await store.KeysAsync(domain.Id, ct)).ToList();
        var gone = keys.Where(k => k.State == KeyState.Retiring && k.RetireAfter <= now).ToArray();
        var dropped = gone.Select(k => k.Id).ToArray();
        keys.RemoveAll(k => dropped.Contains(k.Id));

        var checks = new Dictionary<string, DnsRecordCheck>(domain.Checks);
        foreach (var key in gone) checks.Remove($"dkim:{key.Selector}");
        var errors = new List<string>();
        foreach (var record in records.For(domain, keys))
        {
            var answer = await checker.CheckAsync(domain, record, ct);
            switch (answer)
            {
                case RecordAnswer.Ok:
                    checks[record.Key] = new DnsRecordCheck(record.Key, RecordStatus.Ok, null, now);
                    break;
                case RecordAnswer.Missing:
                    checks[record.Key] = new DnsRecordCheck(record.Key, RecordStatus.Missing, null, now);
                    break;
                case RecordAnswer.Mismatch mismatch:
                    checks[record.Key] = new DnsRecordCheck(record.Key, RecordStatus.Mismatch, mismatch.Found, now);
                    break;
                case RecordAnswer.Unknown unknown:
                    errors.Add(unknown.Reason);
                    break;
            }
        }

        // Activate pending keys whose record is seen; the key each replaces retires.
        var changed = new List<DomainKey>();
        foreach (var pending in keys.Where(k => k.State == KeyState.Pending).ToArray())
        {
            if (Status(checks, pending) != RecordStatus.Ok) continue;
            foreach (var old in keys.Where(k => k.State == KeyState.Active && SameFamily(k.Algorithm, pending.Algorithm)).ToArray())
                Replace(keys, changed, old with { State = KeyState.Retiring, RetireAfter = now + settings.RetiringKeyGrace });
            Replace(keys, changed, pending with { State = KeyState.Active, ActivatedAt = now });
        }

        var active = keys.Where(k => k.State == KeyState.Active).ToArray();
        var allSeen = active.Length > 0 && active.All(k => Status(checks, k) == RecordStatus.Ok);
        var anyGone = active.Any(k => Status(checks, k) is RecordStatus.Missing or RecordStatus.Mismatch);
        var status = allSeen ? DomainStatus.Verified
            : domain.Status == DomainStatus.Verified && anyGone ? DomainStatus.Failed
            : domain.Status == DomainStatus.Verified ? DomainStatus.Verified   // unknown answers: stays as it was
            : domain.Status;

        var events = new List<DomainEvent>();
        if (status == DomainStatus.Verified && domain.Status != DomainStatus.Verified)
            events.Add(new DomainEvent(0, domain.AccountId, domain.Id, domain.Name, "domain.verified", "The DKIM record is published.", now));
        if (status == DomainStatus.Failed && domain.Status == DomainStatus.Verified)
            events.Add(new DomainEvent(0, domain.AccountId, domain.Id, domain.Name, "domain.failed",
                $"The DKIM record of {string.Join(", ", active.Where(k => Status(checks, k) != RecordStatus.Ok).Select(k => k.Selector))} is no longer published.", now));

        var failures = status == DomainStatus.Verified ? 0 : domain.CheckFailures + 1;
        var next = status == DomainStatus.Verified
            ? now + settings.RecheckInterval
            : now + TimeSpan.FromTicks(Math.Min(settings.PendingRecheckMax.Ticks,
                settings.PendingRecheckMin.Ticks * (1L << Math.Min(failures - 1, 20))));
        var updated = domain with
        {
            Status = status,
            Checks = checks,
            LastError = errors.Count == 0 ? null : $"Some records could not be checked, their status is unchanged: {string.Join(" ", errors)}",
            VerifiedAt = status == DomainStatus.Verified ? domain.VerifiedAt ?? now : domain.VerifiedAt,
            CheckedAt = now,
            NextCheckAt = next,
            CheckFailures = failures,
        };
        await store.SaveCheckAsync(updated, changed, dropped, events, ct);
        signing.Invalidate(domain.AccountId);
        foreach (var e in events) log.LogInformation("{Event} for {Domain} ({Account}): {Detail}", e.Type, e.Domain, e.AccountId, e.Detail);
        return updated;
    }

    private static RecordStatus Status(Dictionary<string, DnsRecordCheck> checks, DomainKey key) =>
        checks.TryGetValue($"dkim:{key.Selector}", out var check) ? check.Status : RecordStatus.NotChecked;

    // Ed25519 signs beside RSA (RFC 8463 §2); a new RSA key replaces the old RSA key only.
    private static bool SameFamily(DkimAlgorithm a, DkimAlgorithm b) => (a == DkimAlgorithm.Ed25519) == (b == DkimAlgorithm.Ed25519);

    private static void Replace(List<DomainKey> keys, List<DomainKey> changed, DomainKey key)
    {
        keys[keys.FindIndex(k => k.Id == key.Id)] = key;
        changed.RemoveAll(k => k.Id == key.Id);
        changed.Add(key);
    }
}
