using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;

namespace EmailApi.TestKit;

/// <summary>
/// A real DNS server on 127.0.0.1 and a free UDP port, serving test zones: MX, A, AAAA, TXT,
/// null MX, NXDOMAIN and SERVFAIL. The code under test reaches it over the network with its
/// real resolver, exactly as it would reach any name server.
/// </summary>
public sealed class DnsTestServer : IDisposable
{
    private readonly ConcurrentDictionary<string, List<DnsRecordBase>> _records = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, ReturnCode> _failures = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, bool> _silent = new(StringComparer.OrdinalIgnoreCase);
    private readonly DnsServer _server;
    private readonly ConcurrentDictionary<string, int> _queriesByName = new(StringComparer.OrdinalIgnoreCase);
    private int _queries;

    public DnsTestServer()
    {
        Port = FreeUdpPort();
        _server = new DnsServer(new UdpServerTransport(new IPEndPoint(IPAddress.Loopback, Port)));
        _server.QueryReceived += OnQueryAsync;
        _server.Start();
    }

    public int Port { get; }
    public string Endpoint => $"127.0.0.1:{Port}";
    public int QueryCount => _queries;

    /// <summary>Questions asked so far about <paramref name="name"/>, of any type.</summary>
    public int QueriesFor(string name) => _queriesByName.TryGetValue(name.TrimEnd('.'), out var n) ? n : 0;

    public DnsTestServer Mx(string domain, int preference, string host)
    {
        Add(domain, new MxRecord(DomainName.Parse(domain), 0, (ushort)preference, DomainName.Parse(host)));
        return this;
    }

    /// <summary>RFC 7505: "MX 0 ." says the domain accepts no mail.</summary>
    public DnsTestServer NullMx(string domain)
    {
        Add(domain, new MxRecord(DomainName.Parse(domain), 0, 0, DomainName.Root));
        return this;
    }

    public DnsTestServer A(string host, string address)
    {
        var ip = IPAddress.Parse(address);
        Add(host, ip.AddressFamily == AddressFamily.InterNetworkV6
            ? new AaaaRecord(DomainName.Parse(host), 0, ip)
            : new ARecord(DomainName.Parse(host), 0, ip));
        return this;
    }

    public DnsTestServer Txt(string name, string text)
    {
        // A TXT character-string holds at most 255 bytes (RFC 1035 §3.3.14): long values such as DKIM keys are split.
        Add(name, new TxtRecord(DomainName.Parse(name), 0, text.Chunk(255).Select(c => new string(c))));
        return this;
    }

    public DnsTestServer Ptr(string address, string host)
    {
        var name = IPAddress.Parse(address).GetReverseLookupDomain();
        Add(name.ToString(), new PtrRecord(name, 0, DomainName.Parse(host)));
        return this;
    }

    public DnsTestServer Cname(string name, string target)
    {
        Add(name, new CNameRecord(DomainName.Parse(name), 0, DomainName.Parse(target)));
        return this;
    }

    /// <summary>Questions about <paramref name="name"/> get no answer at all: the client times out.</summary>
    public DnsTestServer Silent(string name)
    {
        _silent[name.TrimEnd('.')] = true;
        return this;
    }

    public DnsTestServer NxDomain(string name) => Fail(name, ReturnCode.NxDomain);

    public DnsTestServer ServFail(string name) => Fail(name, ReturnCode.ServerFailure);

    public DnsTestServer Fail(string name, ReturnCode code)
    {
        _failures[name.TrimEnd('.')] = code;
        return this;
    }

    public void Clear(string name)
    {
        _records.TryRemove(name.TrimEnd('.'), out _);
        _failures.TryRemove(name.TrimEnd('.'), out _);
        _silent.TryRemove(name.TrimEnd('.'), out _);
    }

    public void Dispose()
    {
        try
        {
            _server.Stop();
        }
        catch (AggregateException ex) when (ex.InnerExceptions.All(e => e is OperationCanceledException))
        {
            // A server that was never asked anything stops by cancelling its receive, which Stop() rethrows.
        }
    }

    private void Add(string name, DnsRecordBase record) =>
        _records.AddOrUpdate(name.TrimEnd('.'), _ => [record], (_, list) => { lock (list) list.Add(record); return list; });

    private Task OnQueryAsync(object sender, QueryReceivedEventArgs e)
    {
        Interlocked.Increment(ref _queries);
        if (e.Query is not DnsMessage query) return Task.CompletedTask;
        var response = query.CreateResponseInstance();
        response.IsAuthoritiveAnswer = true;
        var question = query.Questions.FirstOrDefault();
        if (question is null)
        {
            response.ReturnCode = ReturnCode.FormatError;
        }
        else
        {
            var name = question.Name.ToString().TrimEnd('.');
            _queriesByName.AddOrUpdate(name, 1, (_, n) => n + 1);
            if (_silent.ContainsKey(name)) return Task.CompletedTask;   // no response: the client's timeout
            if (_failures.TryGetValue(name, out var failure))
            {
                response.ReturnCode = failure;
            }
            else if (_records.TryGetValue(name, out var records))
            {
                lock (records)
                    response.AnswerRecords.AddRange(records.Where(r => r.RecordType == question.RecordType));
            }
            else
            {
                response.ReturnCode = ReturnCode.NxDomain;
            }
        }
        e.Response = response;
        return Task.CompletedTask;
    }

    private static int FreeUdpPort()
    {
        using var probe = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.Client.LocalEndPoint!).Port;
    }
}
