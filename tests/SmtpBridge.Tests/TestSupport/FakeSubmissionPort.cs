using System.Collections.Concurrent;
using System.Net;
using EmailApi.SmtpBridge;

namespace EmailApi.Tests.TestSupport;

/// <summary>The submission port as the api host would behave, in memory: one good key, one trusted account, every message recorded.</summary>
internal sealed class FakeSubmissionPort : ISubmissionPort
{
    public const string Key = "ea_bridge_test_key";
    public const string TrustedAccountName = "printers";
    public static readonly SmtpPrincipal KeyPrincipal = new("account-1", "key-1");
    public static readonly SmtpPrincipal TrustedPrincipal = new("account-printers", TrustedAccountName);

    public ConcurrentQueue<SmtpEnvelope> Submitted { get; } = new();

    /// <summary>Replaces the default <see cref="SubmitOutcome.Queued"/>.</summary>
    public Func<SmtpEnvelope, SubmitOutcome>? Outcome { get; set; }

    public Func<AuthOutcome>? AuthOverride { get; set; }

    public int AuthCalls;

    public Task<AuthOutcome> AuthenticateAsync(string user, string password, IPEndPoint remote, CancellationToken ct)
    {
        Interlocked.Increment(ref AuthCalls);
        if (AuthOverride is { } auth) return Task.FromResult(auth());
        return Task.FromResult<AuthOutcome>(password == Key ? new AuthOutcome.Authenticated(KeyPrincipal) : new AuthOutcome.Refused());
    }

    /// <summary>Replaces the default answer to <see cref="RecheckAsync"/> (still valid).</summary>
    public Func<AuthOutcome>? RecheckOverride { get; set; }

    public Task<AuthOutcome> RecheckAsync(SmtpPrincipal principal, CancellationToken ct) =>
        Task.FromResult(RecheckOverride?.Invoke() ?? new AuthOutcome.Authenticated(principal));

    public Task<AuthOutcome> AuthorizeTrustedAsync(string accountName, IPEndPoint remote, CancellationToken ct) =>
        Task.FromResult<AuthOutcome>(accountName == TrustedAccountName ? new AuthOutcome.Authenticated(TrustedPrincipal) : new AuthOutcome.Refused());

    /// <summary>What each RCPT gets; by default every address is accepted, as the submission bridge does.</summary>
    public Func<string, RecipientVerdict>? RecipientCheck { get; set; }

    public Task<RecipientVerdict> CheckRecipientAsync(string address, CancellationToken ct) =>
        Task.FromResult(RecipientCheck?.Invoke(address) ?? RecipientVerdict.Accept);

    public string NewMessageId() => Guid.CreateVersion7().ToString("D");

    public Task<SubmitOutcome> SubmitAsync(SmtpEnvelope envelope, CancellationToken ct)
    {
        var outcome = Outcome?.Invoke(envelope) ?? new SubmitOutcome.Queued(envelope.MessageId);
        if (outcome is SubmitOutcome.Queued) Submitted.Enqueue(envelope);
        return Task.FromResult(outcome);
    }
}
