using System.Data.Common;
using Dapper;

namespace EmailApi.Storage;

/// <summary>
/// The one migration runner. Each engine keeps its own numbered list of steps (their DDL differs:
/// types, collations, identity columns) and how it gets a connection to migrate on; the steps run
/// here, once each, in order, each inside its own transaction together with the row that records
/// it, so a crash mid-migration leaves the previous version intact. Never edit a released step:
/// append a new one, at the same number on both engines.
/// </summary>
public abstract class SchemaMigrations(TimeProvider clock, ILogger log)
{
    protected TimeProvider Clock => clock;

    /// <summary>The engine's steps, step N at index N-1.</summary>
    protected abstract IReadOnlyList<string> Steps { get; }

    /// <summary>The statement that creates <c>schema_version (version, applied_at)</c> when it is missing.</summary>
    protected abstract string VersionTable { get; }

    /// <summary>The database's name for log lines and errors (never a connection string: it may hold a password).</summary>
    protected abstract string DatabaseName { get; }

    /// <summary>
    /// Brings the schema up to date, then runs <paramref name="whileLocked"/> (the first account's
    /// creation) while no other node can migrate or create it too.
    /// </summary>
    public abstract Task ApplyAsync(Func<CancellationToken, Task> whileLocked, CancellationToken ct);

    public Task ApplyAsync(CancellationToken ct) => ApplyAsync(_ => Task.CompletedTask, ct);

    /// <summary>Applies the steps this database has not had yet, on <paramref name="connection"/>.</summary>
    protected async Task MigrateAsync(DbConnection connection, CancellationToken ct)
    {
        await connection.ExecuteAsync(new CommandDefinition(VersionTable, cancellationToken: ct));
        var current = await connection.ExecuteScalarAsync<long?>(new CommandDefinition("SELECT MAX(version) FROM schema_version", cancellationToken: ct)) ?? 0;
        if (current > Steps.Count)
            throw new InvalidOperationException($"The database {DatabaseName} has schema version {current}, newer than this build knows ({Steps.Count}).");

        for (var version = (int)current + 1; version <= Steps.Count; version++)
        {
            await using var tx = await connection.BeginTransactionAsync(ct);
            await connection.ExecuteAsync(new CommandDefinition(Steps[version - 1], transaction: tx, cancellationToken: ct));
            await connection.ExecuteAsync(new CommandDefinition("INSERT INTO schema_version (version, applied_at) VALUES (@version, @now)",
                new { version = (long)version, now = clock.GetUtcNow().ToUnixTimeMilliseconds() }, tx, cancellationToken: ct));
            await tx.CommitAsync(ct);
            log.LogInformation("Applied schema migration {Version} to {Database}", version, DatabaseName);
        }
    }
}
