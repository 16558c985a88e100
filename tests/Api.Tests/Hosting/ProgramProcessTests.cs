using System.Diagnostics;

namespace EmailApi.Tests.Hosting;

/// <summary>
/// The built program as a process (issue #15, point 8): a configuration that cannot work stops
/// the start with exactly one line per problem on stderr, no stack trace, exit code 2, and
/// nothing written: no database file, no first account whose key would be printed and lost.
/// </summary>
public sealed class ProgramProcessTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "emailapi-tests", "proc-" + Guid.NewGuid().ToString("N"));

    public ProgramProcessTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private string DbPath => Path.Combine(_dir, "data", "q.db");

    public static TheoryData<string[], string> BadSettings => new()
    {
        { ["Delivery__MaxConcurrency=0"], "Delivery:MaxConcurrency must be between 1 and 10000 (was 0)" },
        { ["Delivery__GreetingTimeout=00:00:00"], "Delivery:GreetingTimeout must be a positive duration such as 00:00:30 (was 00:00:00)" },
        { ["Delivery__GreetingTimeout=30.00:00:00"], "Delivery:GreetingTimeout must be at most 01:00:00 (was 30.00:00:00)" },
        { ["Delivery__RetryDelays__0=00:01:00", "Delivery__RetryDelays__1=5m"], "Delivery:RetryDelays:1 must be a duration such as 00:05:00 (was 5m)" },
        { ["Sending__MaxRecipients=0"], "Sending:MaxRecipients must be between 1 and 10000 (was 0)" },
        { ["Dkim__Domains__example.com__Selector=s1", "Dkim__Domains__example.com__PrivateKeyPath={dir}/missing.pem"],
            "Dkim:Domains:example.com:PrivateKeyPath names a file that does not exist (was {dir}/missing.pem)" },
        { ["Delivery__Port=abc"], "Delivery:Port must be a whole number (was abc)" },
        { ["Delivery__SmartHost__Host=relay.example", "Delivery__SmartHost__Tls=Starttls1"], "Delivery:SmartHost:Tls must be one of StartTls, Implicit, None (was Starttls1)" },
        { ["Storage__Provider=Mongo"], "Storage:Provider must be Sqlite or Postgres (was Mongo)" },
        { ["Storage__Provider=Postgres"], "Storage:Postgres:ConnectionString must be set" },
        { ["Roles=api,mail"], "Roles must be a comma-separated list of api, smtp, mx, sender (was api,mail)" },
        { ["Smtp__TrustedNetworks__0=10.0.0.0/33", "Smtp__TrustedAccount=default"], "Smtp:TrustedNetworks:0 must be a CIDR range such as 192.168.0.0/16 (was 10.0.0.0/33)" },
        { ["Webhooks__MaxConcurrency=0"], "Webhooks:MaxConcurrency must be between 1 and 10000 (was 0)" },
        { ["Smtp__MaxSessionsPerAddress=-1"], "Smtp:MaxSessionsPerAddress must be between 0 and 100000 (was -1)" },
        { ["Delivery__MaxHops=0"], "Delivery:MaxHops must be between 1 and 1000 (was 0)" },
        { ["Delivery__DsnForApi=maybe"], "Delivery:DsnForApi must be true or false (was maybe)" },
        { ["Delivery__PublicAddresses__0=abc"], "Delivery:PublicAddresses:0 must be an IP address (was abc)" },
        { ["Webhooks__DnsServers__0=nonsense"], "Webhooks:DnsServers:0 must be an IP address with an optional port (was nonsense)" },
        { ["Domains__RecheckInterval=-00:01:00"], "Domains:RecheckInterval must be a positive duration such as 00:00:30 (was -00:01:00)" },
        { ["Inbound__HostName=-bad-"], "Inbound:HostName must be a domain name (was -bad-)" },
        { ["Http__PublicBaseUrl=mail.example.com"], "Http:PublicBaseUrl must be an absolute https:// URL without query or fragment (was mail.example.com)" },
        { ["Delivery__MtaSts__FetchTimeout=00:05:00"], "Delivery:MtaSts:FetchTimeout must be at most 00:01:00 (was 00:05:00)" },
        { ["TlsReports__Enabled=true", "TlsReports__OrganizationName=Example", "TlsReports__ContactInfo=tls@example.com", "TlsReports__From=nobody"], "TlsReports:From must be an email address when TlsReports:Enabled is true (was nobody)" },
        { ["TlsReports__KeepDays=1"], "TlsReports:KeepDays must be between 2 and 366 (was 1)" },
        { ["TlsReports__CheckInterval=00:00:00"], "TlsReports:CheckInterval must be a positive duration such as 00:00:30 (was 00:00:00)" },
        { ["Inbound__Port=70000"], "Inbound:Port must be between -1 and 65535 (was 70000)" },
        { ["Inbound__SoftBouncesToSuppress=0"], "Inbound:SoftBouncesToSuppress must be between 1 and 1000 (was 0)" },
        { ["Health__SenderStallAfter=00:00:00"], "Health:SenderStallAfter must be a positive duration such as 00:00:30 (was 00:00:00)" },
        { ["Relay__HostName=bad name"], "Relay:HostName must be a host name (was bad name)" },
        { ["Relay__HostName=relay.example", "Delivery__HeloName=other.example"],
            "Delivery:HeloName is the older name of Relay:HostName; set only Relay:HostName (was other.example, Relay:HostName relay.example)" },
        { ["Compat__Mailgun__Enabled=maybe"], "Compat:Mailgun:Enabled must be true or false (was maybe)" },
        { ["Console__SessionLifetime=60.00:00:00"], "Console:SessionLifetime must be at most 30.00:00:00 (was 60.00:00:00)" },
        { ["Console__RefreshSeconds=0"], "Console:RefreshSeconds must be between 1 and 3600 (was 0)" },
        { ["Console__Enabled=maybe"], "Console:Enabled must be true or false (was maybe)" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task Start_WithBadSetting_PrintsOneLineAndExits2_WithoutCreatingTheDatabase(string[] settings, string expected)
    {
        var run = await RunAsync([], settings.Select(s => s.Replace("{dir}", _dir)).ToArray());

        Assert.Equal(2, run.ExitCode);
        Assert.Equal([expected.Replace("{dir}", _dir)], run.StderrLines);
        Assert.DoesNotContain("Created account", run.Stdout);
        Assert.False(Directory.Exists(Path.GetDirectoryName(DbPath)), "the data folder was created");
    }

    [Fact]
    public async Task Start_WithSeveralBadSettings_ListsEveryOne()
    {
        var run = await RunAsync(["--Delivery:Port=abc"], ["Delivery__MaxConcurrency=0", "Sending__MaxRecipients=0"]);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(
            ["Delivery:Port must be a whole number (was abc)", "Delivery:MaxConcurrency must be between 1 and 10000 (was 0)", "Sending:MaxRecipients must be between 1 and 10000 (was 0)"],
            run.StderrLines);
    }

    [Fact]
    public async Task Help_ListsCommandsAndOptions_AndStartsNothing()
    {
        var run = await RunAsync(["--help"], []);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("serve", run.Stdout);
        Assert.Contains("keys", run.Stdout);
        Assert.Contains("--urls", run.Stdout);
        Assert.Contains("--Section:Key=value", run.Stdout);
        Assert.DoesNotContain("Now listening", run.Stdout);
        Assert.False(Directory.Exists(Path.GetDirectoryName(DbPath)));
    }

    [Fact]
    public async Task Start_WhenIdentityFileRemainsButDatabaseIsGone_PrintsWhyAndExits1()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(DbPath)!);
        await File.WriteAllTextAsync(DbPath + ".id", "0123456789abcdef0123456789abcdef\n");

        var run = await RunAsync([], []);

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(
            [$"The database {DbPath} is missing, but {DbPath}.id shows that database 0123456789abcdef0123456789abcdef was there: " +
             "mail it had accepted would be lost. Restore the file (with its -wal file), or set Storage:Sqlite:AllowCreate=true to start with an empty database."],
            run.StderrLines);
        Assert.False(File.Exists(DbPath));
    }

    [Fact]
    public async Task Backup_CopiesTheDatabase_AndNeverOverwritesAFile()
    {
        Assert.Equal(0, (await RunAsync(["keys", "create", "--account", "ops"], [])).ExitCode);
        var target = Path.Combine(_dir, "backups", "q.db");

        var run = await RunAsync(["backup", "--to", target], []);
        var again = await RunAsync(["backup", "--to", target], []);

        Assert.Equal(0, run.ExitCode);
        Assert.StartsWith($"Backed up {DbPath} to {target}: ", run.Stdout);
        Assert.True(File.Exists(target));
        Assert.Equal(1, again.ExitCode);
        Assert.Equal([$"{target} exists already; a backup never overwrites a file."], again.StderrLines);
    }

    private sealed record Run(int ExitCode, string Stdout, IReadOnlyList<string> StderrLines);

    private async Task<Run> RunAsync(string[] args, string[] environment)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = _dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(ProgramPath());
        foreach (var arg in args) start.ArgumentList.Add(arg);
        // Loopback only, no SMTP listeners: should a start succeed by mistake, it binds nothing outside.
        start.Environment["Urls"] = "http://127.0.0.1:0";
        start.Environment["Smtp__Port"] = "-1";
        start.Environment["Smtp__ImplicitTlsPort"] = "-1";
        start.Environment["Roles"] = "api";
        start.Environment["Storage__Sqlite__Path"] = DbPath;
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var pair in environment)
        {
            var eq = pair.IndexOf('=');
            start.Environment[pair[..eq]] = pair[(eq + 1)..];
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"EmailApi did not exit within 90 s; stdout: {await stdout}");
        }
        var errors = (await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return new Run(process.ExitCode, await stdout, errors);
    }

    /// <summary>The program as built (api/bin/&lt;configuration&gt;/net10.0/EmailApi.dll), found from this test's own output folder.</summary>
    private static string ProgramPath()
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory);
        var framework = here.Name;
        var configuration = here.Parent!.Name;
        for (var dir = here; dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "api", "bin", configuration, framework, "EmailApi.dll");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException("Build the solution first: api/bin/.../EmailApi.dll not found above " + here.FullName);
    }
}
