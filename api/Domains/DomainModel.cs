namespace EmailApi.Domains;

/// <summary>
/// A sending domain of an account. <paramref name="Name"/> is the lower-case A-label (IDNA);
/// <paramref name="Checks"/> holds the last DNS answer for each record, by <see cref="DnsRecordCheck.Key"/>.
/// </summary>
public sealed record SendingDomain(
    string Id,
    string AccountId,
    string Name,
    DomainStatus Status,
    string? DmarcRua,
    IReadOnlyDictionary<string, DnsRecordCheck> Checks,
    string? LastError,
    DateTimeOffset CreatedAt,
    DateTimeOffset? VerifiedAt,
    DateTimeOffset? CheckedAt,
    DateTimeOffset NextCheckAt,
    int CheckFailures);

/// <summary><c>pending</c> until its DKIM record is seen; <c>failed</c> when a verified record disappeared.</summary>
public enum DomainStatus { Pending, Verified, Failed }

/// <summary>
/// A DKIM key of a domain: <c>pending</c> until its record verifies, then <c>active</c> (signs);
/// a key replaced by a rotation is <c>retiring</c> until <paramref name="RetireAfter"/>, when its record may go.
/// <paramref name="PrivateKey"/> is sealed with Data Protection; it never leaves the server.
/// </summary>
public sealed record DomainKey(
    string Id,
    string DomainId,
    string Selector,
    DkimAlgorithm Algorithm,
    string PublicKey,
    string PrivateKey,
    KeyState State,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ActivatedAt,
    DateTimeOffset? RetireAfter);

public enum KeyState { Pending, Active, Retiring }

/// <summary>RSA-SHA256 (RFC 6376) or Ed25519-SHA256 (RFC 8463).</summary>
public enum DkimAlgorithm { Rsa2048, Rsa1024, Ed25519 }

public enum RecordStatus { NotChecked, Missing, Mismatch, Ok }

/// <summary>What the last check saw for one record; <paramref name="Found"/> is the value found on a mismatch.</summary>
public sealed record DnsRecordCheck(string Key, RecordStatus Status, string? Found, DateTimeOffset CheckedAt);

/// <summary>An event of a domain (<c>domain.verified</c>, <c>domain.failed</c>).</summary>
public sealed record DomainEvent(long Id, string AccountId, string DomainId, string Domain, string Type, string? Detail, DateTimeOffset CreatedAt);
