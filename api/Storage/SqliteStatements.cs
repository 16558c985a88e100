using Microsoft.Data.Sqlite;

namespace EmailApi.Storage;

/// <summary>
/// Prepared statements for the hot write paths, kept for the life of a connection: each SQL text is
/// parsed and prepared once and then only re-bound, instead of once per row as with a new command
/// per call (profiling showed statement preparation as the largest cost of the group commit).
/// Each call runs in the current <see cref="Transaction"/>. Parameters are passed in the same order
/// on every call for a given SQL text.
/// </summary>
public sealed class SqliteStatements(SqliteConnection connection) : IDisposable
{
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

    public SqliteTransaction? Transaction { get; set; }

    public Task<int> ExecuteAsync(string sql, CancellationToken ct, params ReadOnlySpan<(string Name, object? Value)> parameters) =>
        Bind(sql, parameters).ExecuteNonQueryAsync(ct);

    public Task<object?> ScalarAsync(string sql, CancellationToken ct, params ReadOnlySpan<(string Name, object? Value)> parameters) =>
        Bind(sql, parameters).ExecuteScalarAsync(ct);

    public void Dispose()
    {
        foreach (var command in _commands.Values) command.Dispose();
        _commands.Clear();
    }

    private SqliteCommand Bind(string sql, ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        if (!_commands.TryGetValue(sql, out var command))
        {
            command = connection.CreateCommand();
            command.CommandText = sql;
            foreach (var (name, _) in parameters) command.Parameters.Add(new SqliteParameter(name, null));
            _commands[sql] = command;
        }
        command.Transaction = Transaction;
        for (var i = 0; i < parameters.Length; i++) command.Parameters[i].Value = parameters[i].Value ?? DBNull.Value;
        return command;
    }
}
