using System.Diagnostics.Metrics;

namespace EmailApi.SmtpBridge;

/// <summary>
/// The SMTP adapter's instruments (meter <c>EmailApi.Smtp</c>), by listener (<c>submission</c> for
/// the submission ports, <c>inbound</c> for the MX listener): sessions the server began, sessions
/// that authenticated, and sessions that ended in an error. What the sessions submitted is counted
/// where it becomes durable (<c>emailapi_messages_accepted_total{source="smtp"}</c>). Every series
/// exists from the start, at zero.
/// </summary>
public sealed class SmtpMetrics
{
    public const string MeterName = "EmailApi.Smtp";

    private static readonly string[] Listeners = ["submission", "inbound"];

    private readonly Counter<long> _sessions;
    private readonly Counter<long> _authenticated;
    private readonly Counter<long> _faulted;

    public SmtpMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _sessions = meter.CreateCounter<long>("emailapi.smtp.sessions", "{session}", "SMTP sessions begun, by listener.");
        _authenticated = meter.CreateCounter<long>("emailapi.smtp.sessions.authenticated", "{session}", "SMTP sessions that authenticated (AUTH PLAIN or LOGIN), by listener.");
        _faulted = meter.CreateCounter<long>("emailapi.smtp.sessions.faulted", "{session}", "SMTP sessions that ended in an error (a dropped connection, a failed TLS handshake, a timeout), by listener.");
        foreach (var listener in Listeners)
        {
            _sessions.Add(0, Listener(listener));
            _authenticated.Add(0, Listener(listener));
            _faulted.Add(0, Listener(listener));
        }
    }

    internal void SessionBegun(string listener) => _sessions.Add(1, Listener(listener));

    internal void SessionAuthenticated(string listener) => _authenticated.Add(1, Listener(listener));

    internal void SessionFaulted(string listener) => _faulted.Add(1, Listener(listener));

    private static KeyValuePair<string, object?> Listener(string listener) => new("listener", listener);
}
