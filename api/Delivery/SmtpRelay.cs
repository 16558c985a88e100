using EmailApi.Queue;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Net.Security;
using System.Net.Sockets;
using EmailApi.Delivery.MtaSts;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;
using EmailApi.Mail;
using EmailApi.SmtpBridge.Messages;
using static EmailApi.Delivery.DeliveryOutcome;

namespace EmailApi.Delivery;

/// <summary>
/// Delivers the messages queued for one destination domain over SMTP, with one transaction per
/// message covering all its recipients at that domain and one connection reused across messages
/// (and, through <see cref="SmtpConnectionCache"/>, across deliveries a moment apart).
/// It is the only code that catches MailKit, socket and DNS failures and decides what they mean:
/// 2xx delivered; 5xx bounced; 4xx, refused or dropped connections and TLS trouble → next MX host,
/// then deferred; anything unknown is temporary (the queue lifetime bounds the retries).
/// </summary>
public sealed class SmtpRelay(
    MxResolver resolver,
    SmtpConnectionCache cache,
    LoopGuard loopGuard,
    IOptions<DeliveryOptions> options,
    IOptions<RelayHostOptions> relayHost,
    IOptions<Queue.HopLimitOptions> hopLimit,
    TimeProvider clock,
    DeliveryMetrics metrics,
    MtaStsPolicies stsPolicies,
    CertificateCheck certificates,
    TlsResults tlsResults,
    IOptions<MtaStsOptions> sts,
    Feedback.ReturnPaths returnPaths,
    ILogger<SmtpRelay> log)
{
    // Everything to a smart host goes one way, whatever the recipient's domain.
    private const string SmartHostDestination = "";

    public async Task<IReadOnlyList<RecipientOutcome>> DeliverAsync(string domain, IReadOnlyList<Envelope> envelopes, CancellationToken ct) =>
        await SendAsync(domain, await PrepareAsync(domain, envelopes, ct), ct);

    /// <summary>
    /// Everything a delivery needs before it dials: the hop limit, the return paths, the MX hosts
    /// (loop check included) and the MTA-STS policy. The sender does this while the job waits for a
    /// connection slot, so a slot is held only while talking to the remote host. A plan with no
    /// hosts concluded without sending (no MX, a loop, a policy refusal): its outcomes are final.
    /// </summary>
    internal async Task<RelayPlan> PrepareAsync(string domain, IReadOnlyList<Envelope> envelopes, CancellationToken ct)
    {
        var preparedAt = clock.GetUtcNow();
        // A message past the hop limit is looping (RFC 5321 §6.3): it bounces and is never dialled,
        // even if it got in before the doors counted, or the limit was lowered since.
        var (looping, sendable) = SplitLooping(envelopes);
        var outcomes = new List<RecipientOutcome>(looping);
        if (sendable.Count == 0) return RelayPlan.Finished(outcomes, preparedAt);
        sendable = await WithReturnPathsAsync(sendable, outcomes, ct);
        if (sendable.Count == 0) return RelayPlan.Finished(outcomes, preparedAt);

        var route = options.Value.SmartHost.Enabled ? await SmartHostRouteAsync(ct) : await resolver.ResolveAsync(domain, ct);
        if (route is MxRoute.NoMail noMail) return RelayPlan.Finished([.. outcomes, .. AllOf(sendable, new Failed(noMail.Reason))], preparedAt);
        if (route is MxRoute.TryLater later) return RelayPlan.Finished([.. outcomes, .. AllOf(sendable, new Deferred(later.Reason, null))], preparedAt);

        var port = options.Value.SmartHost.Enabled ? options.Value.SmartHost.Port : options.Value.Port;
        IReadOnlyList<MxHost> hosts;
        switch (loopGuard.Check(domain, ((MxRoute.Hosts)route).List, port))
        {
            case LoopCheck.Refuse refuse:
                log.LogWarning("Not delivering to {Domain}: {Reason}", domain, refuse.Reply);
                return RelayPlan.Finished([.. outcomes, .. AllOf(sendable, new Bounced(refuse.Reply, null))], preparedAt);
            case LoopCheck.Dial dial:
                hosts = dial.Hosts;
                break;
            default:
                throw new UnreachableException();
        }
        var policy = await PolicyAsync(domain, ct);
        var (allowed, refusal) = policy.CheckMx(hosts);
        if (refusal is not null) return RelayPlan.Finished([.. outcomes, .. AllOf(sendable, new Deferred(refusal, null))], preparedAt);
        return new RelayPlan(outcomes, sendable, allowed, policy, preparedAt);
    }

    /// <summary>Sends what <see cref="PrepareAsync"/> planned, over a cached connection when there is one; returns every recipient's outcome.</summary>
    internal async Task<IReadOnlyList<RecipientOutcome>> SendAsync(string domain, RelayPlan plan, CancellationToken ct)
    {
        if (plan is not { Hosts: { } hosts, Policy: { } policy }) return plan.Outcomes;
        var envelopes = plan.Envelopes;
        var outcomes = new List<RecipientOutcome>(plan.Outcomes);
        var destination = options.Value.SmartHost.Enabled ? SmartHostDestination : domain;
        var connection = cache.Take(destination, hosts);
        if (connection is { PolicyVerified: false } && policy.Mode == MtaStsMode.Enforce)
        {
            // Opened before the policy was known: it was never checked against it.
            await connection.CloseAsync();
            connection = null;
        }
        try
        {
            for (var i = 0; i < envelopes.Count; i++)
            {
                var result = await DeliverOneAsync(domain, envelopes[i], hosts, connection, policy, ct);
                connection = result.Connection;
                outcomes.AddRange(result.Outcomes);
                if (result.Unreachable is not { } failure) continue;
                // No MX host could even be connected to: like Postfix's "delivery temporarily
                // suspended", the rest of this job is deferred with that reason instead of each
                // message waiting out the same connect timeouts (a stalled host would hold the
                // destination's connection for minutes per message).
                outcomes.AddRange(AllOf(envelopes.Skip(i + 1).ToArray(), failure));
                break;
            }
        }
        catch
        {
            if (connection is not null) await connection.CloseAsync();
            connection = null;
            throw;
        }
        finally
        {
            if (connection is not null) await cache.ReturnAsync(destination, connection, ConnectionLimit(domain));
        }
        return outcomes;
    }

    /// <summary>
    /// A message from a verified domain leaves with a VERP return path per recipient, so it takes
    /// one transaction per recipient (as Postfix does with VERP); the others keep one transaction
    /// for all. When the return path cannot be worked out (the database is away) the message is
    /// deferred rather than sent with a return path that would lose its bounces.
    /// </summary>
    private async Task<IReadOnlyList<Envelope>> WithReturnPathsAsync(IReadOnlyList<Envelope> envelopes, List<RecipientOutcome> deferred, CancellationToken ct)
    {
        var result = new List<Envelope>(envelopes.Count);
        foreach (var envelope in envelopes)
        {
            if (envelope.Message.EnvelopeFrom.Length == 0)
            {
                result.Add(envelope);
                continue;
            }
            try
            {
                var split = new List<Envelope>(envelope.Recipients.Count);
                foreach (var recipient in envelope.Recipients)
                {
                    var path = await returnPaths.ForAsync(envelope.Message.AccountId, envelope.Message.EnvelopeFrom, new Feedback.ReturnPathToken(envelope.Message.Id, recipient.Id), ct);
                    if (path is null) break;
                    split.Add(new Envelope(envelope.Message, [recipient], path));
                }
                if (split.Count == envelope.Recipients.Count) result.AddRange(split);
                else result.Add(envelope);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                log.LogWarning(ex, "No return path for message {MessageId}; deferring it", envelope.Message.Id);
                deferred.AddRange(envelope.Recipients.Select(r => new RecipientOutcome(r, new Deferred(SmtpReply.Of(451, "4.3.0", "The return path could not be worked out; will retry"), null))));
            }
        }
        return result;
    }

    private (IReadOnlyList<RecipientOutcome> Looping, IReadOnlyList<Envelope> Sendable) SplitLooping(IReadOnlyList<Envelope> envelopes)
    {
        var limit = hopLimit.Value.MaxHops;
        var looping = new List<RecipientOutcome>();
        var sendable = new List<Envelope>(envelopes.Count);
        foreach (var envelope in envelopes)
        {
            var hops = Queue.HopCount.Of(envelope.Message.Raw);
            if (hops < limit)
            {
                sendable.Add(envelope);
                continue;
            }
            var reply = SmtpReply.Of(554, "5.4.6", Queue.HopLimitOptions.Describe(hops, limit));
            looping.AddRange(envelope.Recipients.Select(r => new RecipientOutcome(r, new Bounced(reply, null))));
        }
        return (looping, sendable);
    }

    private int ConnectionLimit(string domain) => options.Value.For(domain).Concurrency ?? options.Value.PerDomainConcurrency;

    /// <summary>The envelope over the first host that concludes it; <c>Unreachable</c> when no host could be connected to at all.</summary>
    private async Task<(SmtpConnection? Connection, IReadOnlyList<RecipientOutcome> Outcomes, Deferred? Unreachable)> DeliverOneAsync(
        string domain, Envelope envelope, IReadOnlyList<MxHost> hosts, SmtpConnection? connection, MxPolicy policy, CancellationToken ct)
    {
        if (!LineEndings.IsWireSafe(envelope.Message.Raw))
        {
            // Every door refuses these; a message stored before they did is failed here, not relayed
            // with bytes that a lenient next server could read as the end of data (SMTP smuggling).
            log.LogWarning("Message {Id} has a bare CR or LF or a NUL; not relayed", envelope.Message.Id);
            return (connection, envelope.Recipients.Select(r => new RecipientOutcome(r,
                new Failed(SmtpReply.Of(554, "5.6.0", "The message contains a bare CR or LF or a NUL and was not relayed (RFC 5321 section 2.3.8)")))).ToArray(), null);
        }
        var lastFailure = SmtpReply.Local("4.4.1", "No MX host could be reached");
        string? lastMx = null;
        var reached = false;
        foreach (var (host, address) in Candidates(hosts, connection))
        {
            ct.ThrowIfCancellationRequested();
            if (connection is not null && !connection.IsTo(host, address))
            {
                await connection.CloseAsync();
                connection = null;
            }
            (connection, var attempt) = await AttemptAsync(domain, host, address, connection, envelope, policy, ct);
            reached |= connection is not null;
            if (attempt.Outcomes is { } outcomes) return (connection, Labelled(outcomes, policy), null);

            lastFailure = attempt.Failure!;
            lastMx = host.Name;
            if (connection is not null && !attempt.ConnectionUsable)
            {
                await connection.CloseAsync();
                connection = null;
            }
        }
        var deferred = new Deferred(lastFailure, lastMx);
        return (connection, envelope.Recipients.Select(r => new RecipientOutcome(r, deferred)).ToArray(), reached ? null : deferred);
    }

    /// <summary>The envelope to one address, over the connection given or a new one (null when none could be opened).</summary>
    private async Task<(SmtpConnection? Connection, TransactionAttempt Attempt)> AttemptAsync(
        string domain, MxHost host, IPAddress address, SmtpConnection? connection, Envelope envelope, MxPolicy policy, CancellationToken ct)
    {
        if (connection is not null)
        {
            var attempt = await TransactAsync(connection, envelope, ct);
            // A connection that waited in the cache may have been dropped by the server meanwhile,
            // which says nothing about the host: its address then gets a fresh connection.
            if (attempt.Outcomes is not null || attempt.ConnectionUsable || !connection.Reused) return (connection, attempt);
            log.LogDebug("A cached connection to {Host} [{Address}] was gone ({Reason}); opening a new one", host.Name, address, attempt.Failure);
            await connection.CloseAsync();
        }
        try
        {
            connection = await ConnectAsync(host, address, domain, policy, ct);
        }
        catch (Exception ex) when (!IsOurCancellation(ex, ct))
        {
            var failure = policy.ConnectFailed(host, startTlsMissing: ex is NotSupportedException) ?? Describe(ex, host.Name);
            log.LogInformation("Could not connect to {Host} [{Address}]: {Reason}", host.Name, address, failure);
            return (null, TransactionAttempt.TryNext(failure, connectionUsable: false));
        }
        if (policy.CheckConn(connection) is { } refusal)
        {
            log.LogInformation("Not delivering over {Host} [{Address}]: {Reason}", host.Name, address, refusal);
            await connection.CloseAsync();
            return (null, TransactionAttempt.TryNext(refusal, connectionUsable: false));
        }
        return (connection, await TransactAsync(connection, envelope, ct));
    }

    /// <summary>One SMTP transaction. Outcomes when the transaction concluded; a failure text when the next host should be tried.</summary>
    private async Task<TransactionAttempt> TransactAsync(SmtpConnection connection, Envelope envelope, CancellationToken ct)
    {
        var client = connection.Client;
        var mx = connection.Host.Name;
        client.ClearReplies();
        using var raw = new MemoryStream(envelope.Message.Raw, writable: false);
        using var message = await MimeMessage.LoadAsync(raw, ct);   // disposed: MimeKit's entities have finalizers

        // RFC 6531 §3.2: a message that needs SMTPUTF8 must not be sent to a server without it.
        var utf8 = client.Capabilities.HasFlag(SmtpCapabilities.UTF8);
        if (!utf8 && NeedsSmtpUtf8(envelope))
        {
            var refusal = SmtpReply.Of(550, "5.6.7", $"{mx} does not support SMTPUTF8, which this message's addresses or headers need (RFC 6531)");
            return TransactionAttempt.Concluded(envelope.Recipients.Select(r => new RecipientOutcome(r, new Bounced(refusal, mx))).ToArray());
        }
        string Sent(Queue.LeasedRecipient r) => utf8 ? r.Address : AsciiDomain(r.Address);
        var recipients = envelope.Recipients.Select(r => new MailboxAddress("", Sent(r))).ToArray();
        var mailFrom = envelope.ReturnPath ?? envelope.Message.EnvelopeFrom;
        var sender = new MailboxAddress("", utf8 ? mailFrom : AsciiDomain(mailFrom));
        try
        {
            var reply = await client.SendAsync(message, sender, recipients, ct);
            return TransactionAttempt.Concluded(envelope.Recipients.Select(r => new RecipientOutcome(r, client.Refused.TryGetValue(Sent(r), out var refused)
                ? ForRecipientReply(refused, mx)
                : new Delivered(SmtpReply.FromServer(250, reply), mx, connection.Tls))).ToArray());
        }
        catch (SmtpCommandException ex) when (ex.ErrorCode == SmtpErrorCode.MessageNotAccepted && envelope.Recipients.All(r => client.Refused.ContainsKey(Sent(r))))
        {
            // MailKit's synthetic 554 after every RCPT was refused: the real replies were recorded.
            return TransactionAttempt.Concluded(envelope.Recipients.Select(r => new RecipientOutcome(r, ForRecipientReply(client.Refused[Sent(r)], mx))).ToArray());
        }
        catch (SmtpCommandException ex) when ((int)ex.StatusCode >= 500)
        {
            // MAIL FROM or the end of DATA refused for good: bounce everyone not already refused on their own.
            var reply = Reply(ex);
            return TransactionAttempt.Concluded(envelope.Recipients.Select(r => new RecipientOutcome(r, client.Refused.TryGetValue(Sent(r), out var refused)
                ? ForRecipientReply(refused, mx)
                : new Bounced(reply, mx))).ToArray());
        }
        catch (SmtpCommandException ex)
        {
            // A temporary refusal of the whole transaction: MailKit has sent RSET, the connection stays usable.
            return TransactionAttempt.TryNext(Reply(ex), connectionUsable: client.IsConnected);
        }
        catch (ServiceNotAuthenticatedException ex)
        {
            // MailKit throws a 530 ("authentication required", RFC 4954 §6) to MAIL, RCPT or DATA as
            // this exception without the code: a 5xx refusal of the transaction, so a bounce like any other.
            var reply = SmtpReply.Of(530, "5.7.0", $"{mx} said: {ex.Message}");
            return TransactionAttempt.Concluded(envelope.Recipients.Select(r => new RecipientOutcome(r, client.Refused.TryGetValue(Sent(r), out var refused)
                ? ForRecipientReply(refused, mx)
                : new Bounced(reply, mx))).ToArray());
        }
        catch (Exception ex) when (!IsOurCancellation(ex, ct))
        {
            // Transport trouble, or an answer MailKit could not make sense of: unknown means temporary
            // (maddy's IsTemporaryOrUnspec), and the connection's state is unknown, so it is not reused.
            if (IsTransportFailure(ex, ct)) log.LogInformation("Transaction with {Host} broke off: {Reason}", mx, ex.Message);
            else log.LogWarning(ex, "Transaction with {Host} failed in a way not classified; deferring", mx);
            return TransactionAttempt.TryNext(Describe(ex, mx), connectionUsable: false);
        }
    }

    private static bool NeedsSmtpUtf8(Envelope envelope)
    {
        static bool LocalPartIsAscii(string address) => Ascii.IsValid(address.AsSpan(0, Math.Max(0, address.LastIndexOf('@'))));
        if (!LocalPartIsAscii(envelope.Message.EnvelopeFrom) || envelope.Recipients.Any(r => !LocalPartIsAscii(r.Address))) return true;
        var raw = envelope.Message.Raw.AsSpan();
        var headerEnd = raw.IndexOf("\r\n\r\n"u8);
        return !Ascii.IsValid(headerEnd < 0 ? raw : raw[..headerEnd]);
    }

    /// <summary>The address with its domain in A-labels (punycode), for servers without SMTPUTF8.</summary>
    private static string AsciiDomain(string address)
    {
        var at = address.LastIndexOf('@');
        return at < 0 || Ascii.IsValid(address) ? address : address[..(at + 1)] + new IdnMapping().GetAscii(address[(at + 1)..]);
    }

    private static DeliveryOutcome ForRecipientReply(SmtpResponse reply, string mx)
    {
        var said = SmtpReply.FromServer((int)reply.StatusCode, reply.Response);
        return said.Code switch
        {
            // RFC 5321 §4.5.3.1.10: a 552 to RCPT ("too many recipients" from old servers) is treated as 452.
            552 => new Deferred(said, mx),
            >= 500 => new Bounced(said, mx),
            _ => new Deferred(said, mx),
        };
    }

    private static SmtpReply Reply(SmtpCommandException ex) => SmtpReply.FromServer((int)ex.StatusCode, ex.Message);

    private async Task<SmtpConnection> ConnectAsync(MxHost host, IPAddress address, string domain, MxPolicy policy, CancellationToken ct)
    {
        var settings = options.Value;
        if (settings.SmartHost.Enabled)
        {
            var smart = settings.SmartHost;
            var mode = smart.Tls switch
            {
                SmartHostTls.Implicit => SecureSocketOptions.SslOnConnect,
                SmartHostTls.None => SecureSocketOptions.None,
                _ => SecureSocketOptions.StartTls,
            };
            var connection = await OpenAsync(host, address, smart.Port, mode, smart.AcceptAnyCertificate ? AcceptAnyCertificate : null, ct);
            if (!string.IsNullOrEmpty(smart.Username))
            {
                try
                {
                    await connection.Client.AuthenticateAsync(smart.Username, smart.Password ?? "", ct);
                }
                catch
                {
                    await connection.CloseAsync();
                    throw;
                }
            }
            return connection;
        }

        // MX delivery encrypts against passive listeners but, like Postfix's "may" and "encrypt", does
        // not authenticate the peer, unless an MTA-STS policy says to (its callback refuses under enforce).
        var validate = policy.ValidateCertificate(host);
        if (settings.For(domain).Tls == TlsPolicy.Require || policy.Mode == MtaStsMode.Enforce)
            return await OpenAsync(host, address, settings.Port, SecureSocketOptions.StartTls, validate, ct);
        try
        {
            return await OpenAsync(host, address, settings.Port, SecureSocketOptions.StartTlsWhenAvailable, validate, ct);
        }
        catch (Exception ex) when (ex is SslHandshakeException or System.Security.Authentication.AuthenticationException && !ct.IsCancellationRequested)
        {
            // Opportunistic TLS (Postfix's "may"): a failed handshake falls back to plaintext.
            log.LogInformation("TLS with {Host} failed ({Reason}); retrying in plaintext", host.Name, ex.Message);
            return await OpenAsync(host, address, settings.Port, SecureSocketOptions.None, AcceptAnyCertificate, ct);
        }
    }

    /// <summary>A new connection; <paramref name="validate"/> null means the TLS stack's own certificate check.</summary>
    private async Task<SmtpConnection> OpenAsync(MxHost host, IPAddress address, int port, SecureSocketOptions tls, RemoteCertificateValidationCallback? validate, CancellationToken ct)
    {
        var settings = options.Value;
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var client = new RecordingSmtpClient
        {
            LocalDomain = relayHost.Value.HostName,
            Timeout = (int)settings.CommandTimeout.TotalMilliseconds,
            CheckCertificateRevocation = false,
        };
        if (validate is not null) client.ServerCertificateValidationCallback = validate;
        try
        {
            // The TCP connection within ConnectTimeout; the greeting, EHLO and STARTTLS within
            // GreetingTimeout, as Postfix's smtp_connect_timeout and smtp_helo_timeout: a server that
            // pauses before its greeting is slow, not unreachable.
            using (var connecting = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                connecting.CancelAfter(settings.ConnectTimeout);
                await socket.ConnectAsync(new IPEndPoint(address, port), connecting.Token);
            }
            using (var greeting = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                greeting.CancelAfter(settings.GreetingTimeout);
                await client.ConnectAsync(socket, host.Name, port, tls, greeting.Token);
            }
            metrics.ConnectionOpened();
            return new SmtpConnection(client, socket, host, address, clock.GetUtcNow());
        }
        catch
        {
            client.Dispose();
            socket.Dispose();
            throw;
        }
    }

    private static bool AcceptAnyCertificate(object sender, System.Security.Cryptography.X509Certificates.X509Certificate? certificate,
        System.Security.Cryptography.X509Certificates.X509Chain? chain, SslPolicyErrors errors) => true;

    /// <summary>The MTA-STS hook for this delivery: no policy through a smart host or when MTA-STS is off.</summary>
    private async Task<MxPolicy> PolicyAsync(string domain, CancellationToken ct)
    {
        var lookup = options.Value.SmartHost.Enabled || !sts.Value.Enabled
            ? new MtaStsLookup.NoPolicy()
            : await stsPolicies.LookupAsync(domain, ct);
        return new MxPolicy(domain, lookup, certificates, tlsResults);
    }

    /// <summary>Deliveries carry the policy that applied next to their TLS parameters, so the attempt's record shows it.</summary>
    private static IReadOnlyList<RecipientOutcome> Labelled(IReadOnlyList<RecipientOutcome> outcomes, MxPolicy policy) =>
        policy.Label is not { } label ? outcomes
        : outcomes.Select(o => o.Outcome is Delivered d ? o with { Outcome = d with { Tls = d.Tls is null ? label : $"{d.Tls}; {label}" } } : o).ToArray();

    private async Task<MxRoute> SmartHostRouteAsync(CancellationToken ct)
    {
        var name = options.Value.SmartHost.Host!;
        if (IPAddress.TryParse(name, out var literal)) return new MxRoute.Hosts([new MxHost(name, 0, [literal])]);
        try
        {
            return new MxRoute.Hosts([new MxHost(name, 0, await Dns.GetHostAddressesAsync(name, ct))]);
        }
        catch (SocketException ex)
        {
            return new MxRoute.TryLater(SmtpReply.Local("4.4.3", $"The smart host {name} could not be resolved: {ex.SocketErrorCode}"));
        }
    }

    private static IEnumerable<(MxHost Host, IPAddress Address)> Candidates(IReadOnlyList<MxHost> hosts, SmtpConnection? current)
    {
        if (current is { Client.IsConnected: true }) yield return (current.Host, current.Address);
        foreach (var host in hosts)
            foreach (var address in host.Addresses)
                if (current is null || !current.IsTo(host, address))
                    yield return (host, address);
    }

    private static bool IsTransportFailure(Exception ex, CancellationToken ct) => ex switch
    {
        OperationCanceledException => !ct.IsCancellationRequested,   // our own connect/command timeout
        SocketException or IOException or TimeoutException or SmtpProtocolException or SslHandshakeException
            or System.Security.Authentication.AuthenticationException or MailKit.Security.AuthenticationException
            or ServiceNotConnectedException or SmtpCommandException or NotSupportedException => true,
        _ => false,
    };

    /// <summary>Our own stop (shutdown), as opposed to a timeout: the only exception the relay lets through.</summary>
    private static bool IsOurCancellation(Exception ex, CancellationToken ct) => ex is OperationCanceledException && ct.IsCancellationRequested;

    private static SmtpReply Describe(Exception ex, string host) => ex switch
    {
        SmtpCommandException command => Said(host, Reply(command)),
        SocketException socket => SmtpReply.Local("4.4.1", $"Connection to {host} failed: {socket.SocketErrorCode}"),
        OperationCanceledException or TimeoutException => SmtpReply.Local("4.4.2", $"Connection to {host} timed out"),
        SslHandshakeException => SmtpReply.Local("4.7.5", $"TLS handshake with {host} failed"),
        NotSupportedException => SmtpReply.Local("4.7.4", $"TLS is required but {host} does not offer STARTTLS"),
        MailKit.Security.AuthenticationException => SmtpReply.Local("4.7.0", $"Authentication with {host} failed: {ex.Message}"),
        _ when IsTransportFailure(ex, CancellationToken.None) => SmtpReply.Local("4.4.2", $"Connection to {host} lost: {ex.Message}"),
        _ => SmtpReply.Local("4.4.0", $"Delivery to {host} failed: {ex.GetType().Name}: {ex.Message}"),
    };

    private static SmtpReply Said(string host, SmtpReply reply) => reply with { Text = $"{host} said: {reply.Text}" };

    private static IReadOnlyList<RecipientOutcome> AllOf(IReadOnlyList<Envelope> envelopes, DeliveryOutcome outcome) =>
        envelopes.SelectMany(e => e.Recipients).Select(r => new RecipientOutcome(r, outcome)).ToArray();

    private sealed record TransactionAttempt(IReadOnlyList<RecipientOutcome>? Outcomes, SmtpReply? Failure, bool ConnectionUsable)
    {
        public static TransactionAttempt Concluded(IReadOnlyList<RecipientOutcome> outcomes) => new(outcomes, null, true);

        public static TransactionAttempt TryNext(SmtpReply failure, bool connectionUsable) => new(null, failure, connectionUsable);
    }
}

/// <summary>A delivery ready to dial (<see cref="SmtpRelay.PrepareAsync"/>), or one that concluded without dialling (no <see cref="Hosts"/>).</summary>
internal sealed record RelayPlan(IReadOnlyList<RecipientOutcome> Outcomes, IReadOnlyList<Envelope> Envelopes, IReadOnlyList<MxHost>? Hosts, MxPolicy? Policy, DateTimeOffset PreparedAt)
{
    public bool Concluded => Hosts is null;

    internal static RelayPlan Finished(IReadOnlyList<RecipientOutcome> outcomes, DateTimeOffset preparedAt) => new(outcomes, [], null, null, preparedAt);
}

/// <param name="ReturnPath">The VERP envelope sender this copy leaves with (<see cref="Feedback.ReturnPaths"/>); null: the message's own.</param>
public sealed record Envelope(Queue.QueuedMessage Message, IReadOnlyList<Queue.LeasedRecipient> Recipients, string? ReturnPath = null);

public sealed record RecipientOutcome(Queue.LeasedRecipient Recipient, DeliveryOutcome Outcome);
