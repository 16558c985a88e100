using EmailApi.Storage;

namespace EmailApi.Hosting;

/// <summary>
/// With SQLite, the code after a socket read runs on the socket engine's own thread instead of
/// waking a thread-pool thread for every SMTP command and reply (end to end, in paired runs: 24%
/// more messages a second at 21% less CPU each). SQLite's blocking calls move to the pool
/// (<see cref="SqliteDb.OpenAsync"/>). Not with PostgreSQL: Npgsql reads a large column with a
/// synchronous socket read, which on that thread waits for an event only that thread delivers.
/// </summary>
public static class SocketCompletions
{
    public const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Before the first socket exists (the runtime reads the variable once); a value already in the environment wins.</summary>
    public static void ApplyDefault(IConfiguration configuration)
    {
        if (Environment.GetEnvironmentVariable(Variable) is not null) return;
        if (!StorageOptions.From(configuration).UsesPostgres) Environment.SetEnvironmentVariable(Variable, "1");
    }
}
