using System.Net;
using Microsoft.Extensions.Options;

namespace EmailApi.Delivery;

/// <summary>
/// Keeps SMTP connections open for a moment after a delivery, so the next delivery to the same
/// destination skips the TCP handshake, the greeting, EHLO and TLS (Postfix's connection cache).
/// A connection waits idle at most <see cref="DeliveryOptions.ConnectionCacheTime"/> and is not
/// reused once older than <see cref="DeliveryOptions.ConnectionReuseTime"/>. A new connection is
/// opened only when no idle one is left, and at most a destination's connection limit wait idle,
/// so busy and idle connections together stay within that limit. Every connection it lets go of
/// is sent QUIT.
/// </summary>
/// <remarks>
/// Keys are the destination domain (each has its own TLS policy and connection limit; everything
/// to a smart host shares one) with the host and address. A server may drop a connection while it
/// waits; <see cref="Take"/> skips those it can see closed, and <see cref="SmtpRelay"/> tries the
/// same address on a fresh connection when a reused one fails.
/// </remarks>
public sealed class SmtpConnectionCache : IAsyncDisposable
{
    private readonly Dictionary<string, List<Parked>> _idle = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _lock = new();
    private readonly IOptions<DeliveryOptions> _options;
    private readonly TimeProvider _clock;
    private readonly DeliveryMetrics _metrics;
    private readonly ITimer _sweeper;
    private readonly List<Task> _closing = [];
    private bool _disposed;

    public SmtpConnectionCache(IOptions<DeliveryOptions> options, TimeProvider clock, DeliveryMetrics metrics)
    {
        _options = options;
        _clock = clock;
        _metrics = metrics;
        var period = options.Value.ConnectionCacheTime > TimeSpan.Zero ? options.Value.ConnectionCacheTime : Timeout.InfiniteTimeSpan;
        _sweeper = clock.CreateTimer(_ => Sweep(), null, period, period);
    }

    /// <summary>An idle, still open connection to one of the hosts, in their order of preference; null when there is none.</summary>
    internal SmtpConnection? Take(string destination, IReadOnlyList<MxHost> hosts)
    {
        var now = _clock.GetUtcNow();
        var dead = new List<SmtpConnection>();
        SmtpConnection? found = null;
        lock (_lock)
        {
            foreach (var host in hosts)
            {
                foreach (var address in host.Addresses)
                {
                    if (!_idle.TryGetValue(Key(destination, host, address), out var list)) continue;
                    // The most recently parked first, so the others age out when fewer are needed.
                    while (found is null && list.Count > 0)
                    {
                        var parked = list[^1];
                        list.RemoveAt(list.Count - 1);
                        if (IsFresh(parked, now) && parked.Connection.IsIdleAndOpen()) found = parked.Connection;
                        else dead.Add(parked.Connection);
                    }
                    if (found is not null) break;
                }
                if (found is not null) break;
            }
        }
        Close(dead);
        if (found is null) return null;
        found.Reused = true;
        _metrics.ConnectionReused();
        return found;
    }

    /// <summary>Keeps the connection for the next delivery to the destination, or closes it when it may not be kept.</summary>
    internal async Task ReturnAsync(string destination, SmtpConnection connection, int limit)
    {
        var now = _clock.GetUtcNow();
        var parked = new Parked(connection, now);
        lock (_lock)
        {
            // Fresh as it is parked: caching is on and the connection is young enough to reuse.
            if (!_disposed && IsFresh(parked, now) && connection.IsIdleAndOpen())
            {
                var key = Key(destination, connection.Host, connection.Address);
                if (!_idle.TryGetValue(key, out var list)) _idle[key] = list = [];
                if (list.Count < limit)
                {
                    list.Add(parked);
                    return;
                }
            }
        }
        await connection.CloseAsync();
    }

    public async ValueTask DisposeAsync()
    {
        List<SmtpConnection> all;
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            all = _idle.Values.SelectMany(list => list.Select(p => p.Connection)).ToList();
            _idle.Clear();
        }
        await _sweeper.DisposeAsync();
        Close(all);
        Task[] closing;
        lock (_lock) closing = _closing.ToArray();
        await Task.WhenAll(closing);
    }

    /// <summary>Closes the connections that waited too long.</summary>
    private void Sweep()
    {
        var now = _clock.GetUtcNow();
        var expired = new List<SmtpConnection>();
        lock (_lock)
        {
            foreach (var (key, list) in _idle)
            {
                list.RemoveAll(p =>
                {
                    if (IsFresh(p, now)) return false;
                    expired.Add(p.Connection);
                    return true;
                });
                if (list.Count == 0) _idle.Remove(key);
            }
        }
        Close(expired);
    }

    private bool IsFresh(Parked parked, DateTimeOffset now) =>
        now - parked.Since < _options.Value.ConnectionCacheTime && now - parked.Connection.Opened < _options.Value.ConnectionReuseTime;

    /// <summary>QUIT in the background: whoever let go of the connection does not wait for the goodbye.</summary>
    private void Close(List<SmtpConnection> connections)
    {
        if (connections.Count == 0) return;
        var task = Task.WhenAll(connections.Select(c => c.CloseAsync()));
        lock (_lock)
        {
            _closing.RemoveAll(t => t.IsCompleted);
            _closing.Add(task);
        }
    }

    private static string Key(string destination, MxHost host, IPAddress address) => $"{destination}|{host.Name}|{address}";

    private sealed record Parked(SmtpConnection Connection, DateTimeOffset Since);
}
