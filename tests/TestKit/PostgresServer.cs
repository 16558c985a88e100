using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace EmailApi.TestKit;

/// <summary>
/// A real, throw-away PostgreSQL server for tests: the machine's <c>postgresql</c> package
/// (<c>initdb</c> into a temp folder, <c>pg_ctl</c> on 127.0.0.1 and a free port, its unix socket in
/// that folder), stopped and deleted on <see cref="Dispose"/>. PostgreSQL refuses to run as root, so
/// when the tests do, the folder is handed to the <c>postgres</c> system user and the binaries run
/// through <c>runuser</c>. Durability is switched off (<c>fsync=off</c>): these are throw-away data,
/// and the engine's semantics (locks, SKIP LOCKED, ON CONFLICT) do not depend on it.
/// Each test gets its own database from <see cref="CreateDatabaseAsync"/>.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    private const string SystemUser = "postgres";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    private readonly string _bin;
    private readonly bool _asSystemUser;
    private int _databases;
    private bool _stopped;

    public PostgresServer()
    {
        _bin = FindBinaries();
        _asSystemUser = Environment.UserName == "root";
        Directory = Path.Combine(Path.GetTempPath(), $"emailapi-pg-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(Directory);
        var socketDir = Path.Combine(Directory, "sock");
        System.IO.Directory.CreateDirectory(socketDir);
        if (_asSystemUser) Run("chown", ["-R", $"{SystemUser}:{SystemUser}", Directory], asSystemUser: false);

        var data = Path.Combine(Directory, "data");
        Run(Path.Combine(_bin, "initdb"), ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"], _asSystemUser);

        // A port that was free a moment ago may be taken by the time the server binds it: try a few.
        for (var attempt = 1; ; attempt++)
        {
            Port = FreePort();
            var options = $"-c listen_addresses=127.0.0.1 -c port={Port} -c unix_socket_directories='{socketDir}' " +
                          "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c shared_buffers=64MB";
            var (code, output) = TryRun(Path.Combine(_bin, "pg_ctl"), ["-D", data, "-l", Path.Combine(Directory, "server.log"), "-o", options, "-w", "-t", "60", "start"], _asSystemUser);
            if (code == 0) break;
            if (attempt == 3)
            {
                Cleanup();
                throw new InvalidOperationException($"pg_ctl start failed ({code}): {output}\n{ReadLog()}");
            }
        }
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Dispose();   // a run aborted past Dispose still stops the server
    }

    public string Directory { get; }
    public int Port { get; private set; }

    /// <summary>The maintenance database, for creating and dropping others.</summary>
    public string AdminConnectionString => ConnectionString("postgres");

    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
        Database = database,
        Pooling = true,
        MaxPoolSize = 50,
        Timeout = 30,
    }.ConnectionString;

    /// <summary>A new, empty database; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(CancellationToken ct)
    {
        var name = $"t{Interlocked.Increment(ref _databases)}_{Guid.NewGuid():N}"[..24];
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync(ct);
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync(ct);
        return ConnectionString(name);
    }

    public void Dispose()
    {
        lock (this)
        {
            if (_stopped) return;
            _stopped = true;
        }
        NpgsqlConnection.ClearAllPools();
        TryRun(Path.Combine(_bin, "pg_ctl"), ["-D", Path.Combine(Directory, "data"), "-m", "immediate", "-w", "-t", "30", "stop"], _asSystemUser);
        Cleanup();
    }

    public string ReadLog()
    {
        try { return File.ReadAllText(Path.Combine(Directory, "server.log")); }
        catch (IOException) { return "(no server log)"; }
    }

    private void Cleanup()
    {
        // The server's last files can vanish while the folder is walked (an immediate stop): try again.
        for (var attempt = 0; attempt < 5 && System.IO.Directory.Exists(Directory); attempt++)
        {
            try { System.IO.Directory.Delete(Directory, recursive: true); }
            catch (IOException) { Thread.Sleep(100); }
            catch (UnauthorizedAccessException) { Thread.Sleep(100); }
        }
    }

    private static string FindBinaries()
    {
        var configured = Environment.GetEnvironmentVariable("EMAILAPI_PG_BIN");
        if (!string.IsNullOrEmpty(configured)) return configured;
        var found = System.IO.Directory.Exists("/usr/lib/postgresql")
            ? System.IO.Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                .FirstOrDefault()
            : null;
        return found ?? throw new InvalidOperationException(
            "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: install the postgresql package (scripts/test.sh does), or set EMAILAPI_PG_BIN.");
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static void Run(string file, IReadOnlyList<string> args, bool asSystemUser)
    {
        var (code, output) = TryRun(file, args, asSystemUser);
        if (code != 0) throw new InvalidOperationException($"{Path.GetFileName(file)} failed ({code}): {output}");
    }

    private static (int Code, string Output) TryRun(string file, IReadOnlyList<string> args, bool asSystemUser)
    {
        var info = new ProcessStartInfo(asSystemUser ? "runuser" : file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        if (asSystemUser)
        {
            info.ArgumentList.Add("-u");
            info.ArgumentList.Add(SystemUser);
            info.ArgumentList.Add("--");
            info.ArgumentList.Add(file);
        }
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}.");
        // Read both streams to the end concurrently, or a chatty child blocks on a full pipe.
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(CommandTimeout))
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"timed out after {CommandTimeout}");
        }
        return (process.ExitCode, stdout.GetAwaiter().GetResult() + stderr.GetAwaiter().GetResult());
    }
}
