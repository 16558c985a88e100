using System.CommandLine;
using EmailApi.Accounts;
using EmailApi.Storage;
using Microsoft.Extensions.Options;

namespace EmailApi.Hosting;

/// <summary>
/// The process's command line: <c>serve</c> (the default) runs the relay, <c>keys ...</c> manages
/// API keys, <c>--help</c> describes both. Tokens the parser does not know are configuration, the
/// ASP.NET Core way (<c>--Section:Key=value</c>, <c>--Section:Key value</c>), so every setting can
/// still be given on the command line. A configuration that cannot work stops the process before
/// anything is written, with one line per problem on stderr and exit code 2; a database that must
/// not be created (<see cref="SqliteIdentity"/>) stops it with exit code 1.
/// </summary>
public static class CommandLine
{
    public const int SettingsInvalid = 2;
    public const int StorageRefused = 1;

    private const string ConfigurationHelp = """
        Any setting can also be given as --Section:Key=value (for example --Delivery:Port=2525),
        as an environment variable (Delivery__Port=2525) or in appsettings.json; every key, its
        default and meaning are listed in docs/configuration.md.
        """;

    public static Task<int> RunAsync(string[] args)
    {
        var urls = new Option<string>("--urls") { Description = "HTTP listen address(es), e.g. http://127.0.0.1:8025 (the Urls setting)", HelpName = "URLS" };
        var roles = new Option<string>("--roles") { Description = "Which parts run: any of api,smtp,sender (the Roles setting; default all)", HelpName = "ROLES" };
        var db = new Option<string>("--db") { Description = "SQLite database file (Storage:Sqlite:Path; default data/emailapi.db)", HelpName = "PATH" };
        var shortcuts = new (Option<string> Option, string Key)[] { (urls, "Urls"), (roles, "Roles"), (db, "Storage:Sqlite:Path") };

        var serve = new Command("serve", "Run the relay: HTTP API, SMTP submission and the sender (the default command)");
        var root = new RootCommand("EmailApi: a self-hosted outgoing mail relay (HTTP API and SMTP in, delivery to MX hosts out).\n" + ConfigurationHelp);
        foreach (var command in new Command[] { root, serve })
        {
            foreach (var (option, _) in shortcuts) command.Options.Add(option);
            command.TreatUnmatchedTokensAsErrors = false;
            command.SetAction((result, _) => Guarded(() => ServeAsync(Configuration(result, shortcuts))));
        }
        root.Subcommands.Add(serve);
        root.Subcommands.Add(Keys(shortcuts));
        root.Subcommands.Add(Backup(shortcuts));

        // Our own handler: the test host stops the program by throwing from Build(), and that must pass through unchanged.
        return root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
    }

    private static Command Keys((Option<string> Option, string Key)[] shortcuts)
    {
        var account = new Option<string>("--account") { Description = "Account name; created if it does not exist", Required = true, HelpName = "NAME" };
        var name = new Option<string>("--name") { Description = "A label for the key (default: cli)", HelpName = "LABEL" };
        var scopes = new Option<string>("--scopes") { Description = $"Comma-separated, among {string.Join(",", Scopes.All)} (default: {string.Join(",", Scopes.Default)})", HelpName = "SCOPES" };
        var only = new Option<string>("--account") { Description = "Only this account's keys", HelpName = "NAME" };
        var keyId = new Argument<string>("KEY_ID") { Description = "The key's id, as shown by keys list" };

        var create = new Command("create", "Create an API key and print it once") { account, name, scopes };
        var list = new Command("list", "List API keys (never the keys themselves)") { only };
        var revoke = new Command("revoke", "Revoke an API key") { keyId };
        create.SetAction((r, _) => Guarded(() => KeysAsync(r, shortcuts, ["keys", "create", "--account", r.GetValue(account)!,
            .. r.GetValue(name) is { } n ? new[] { "--name", n } : [], .. r.GetValue(scopes) is { } s ? new[] { "--scopes", s } : []])));
        list.SetAction((r, _) => Guarded(() => KeysAsync(r, shortcuts, ["keys", "list", .. r.GetValue(only) is { } a ? new[] { "--account", a } : []])));
        revoke.SetAction((r, _) => Guarded(() => KeysAsync(r, shortcuts, ["keys", "revoke", r.GetValue(keyId)!])));

        var keys = new Command("keys", "Manage API keys in the configured database") { create, list, revoke };
        foreach (var command in new[] { keys, create, list, revoke })
        {
            foreach (var (option, _) in shortcuts) command.Options.Add(option);
            command.TreatUnmatchedTokensAsErrors = false;
        }
        return keys;
    }

    private static Command Backup((Option<string> Option, string Key)[] shortcuts)
    {
        var to = new Option<string>("--to") { Description = "The file to write; must not exist", Required = true, HelpName = "PATH" };
        var backup = new Command("backup", "Copy the SQLite database consistently while the service runs (VACUUM INTO); see docs/operations.md") { to };
        foreach (var (option, _) in shortcuts) backup.Options.Add(option);
        backup.TreatUnmatchedTokensAsErrors = false;
        backup.SetAction((r, _) => Guarded(() => BackupAsync(Configuration(r, shortcuts), r.GetValue(to)!)));
        return backup;
    }

    private static async Task<int> BackupAsync(string[] configuration, string target)
    {
        await using var app = Build(configuration);
        var storage = app.Services.GetRequiredService<IOptions<StorageOptions>>().Value;
        if (storage.UsesPostgres)
        {
            await Console.Error.WriteLineAsync("Storage:Provider is Postgres: back it up with pg_dump (see docs/operations.md).");
            return SettingsInvalid;
        }
        // The user asked for the copy and waits for it; Ctrl+C ends the process, the partial file goes with it.
        var result = await SqliteBackup.RunAsync(storage.Sqlite.Path, target, CancellationToken.None);
        Console.WriteLine($"Backed up {Path.GetFullPath(storage.Sqlite.Path)} to {result.Target}: {result.Bytes} bytes, {result.Messages} messages, {result.LiveRecipients} recipients still to deliver.");
        return 0;
    }

    /// <summary>Configuration arguments for ASP.NET Core: the unknown tokens as given, then the shortcut options as their settings.</summary>
    private static string[] Configuration(ParseResult result, (Option<string> Option, string Key)[] shortcuts) =>
    [
        .. result.UnmatchedTokens,
        .. shortcuts.Select(s => result.GetValue(s.Option) is { } value ? $"--{s.Key}={value}" : null).OfType<string>(),
    ];

    private static async Task<int> ServeAsync(string[] configuration)
    {
        var app = Build(configuration);
        await app.Services.InitializeStorageAsync(CancellationToken.None);   // before serving; nothing to cancel yet
        app.MapEmailApi();
        await app.RunAsync();
        return 0;
    }

    private static async Task<int> KeysAsync(ParseResult result, (Option<string> Option, string Key)[] shortcuts, string[] keysArgs)
    {
        await using var app = Build(Configuration(result, shortcuts));
        await app.Services.InitializeStorageAsync(CancellationToken.None);
        return await KeysCommand.RunAsync(keysArgs, app.Services.GetRequiredService<IAccountStore>(),
            app.Services.GetRequiredService<IOptions<AccountsOptions>>().Value, Console.Out, CancellationToken.None);
    }

    private static WebApplication Build(string[] configuration)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = configuration,
            // appsettings.json ships beside the binary; relative paths in it (the data folder) stay relative to the working directory.
            ContentRootPath = AppContext.BaseDirectory,
        });
        // Before anything is registered or written: a bad setting must not leave a database or a printed key behind.
        SettingsCheck.ThrowIfInvalid(builder.Configuration);
        SocketCompletions.ApplyDefault(builder.Configuration);
        builder.AddEmailApi();
        return builder.Build();
    }

    private static async Task<int> Guarded(Func<Task<int>> run)
    {
        try
        {
            return await run();
        }
        catch (SettingsException ex)
        {
            foreach (var problem in ex.Problems) await Console.Error.WriteLineAsync(problem);
            return SettingsInvalid;
        }
        catch (StorageStartException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            return StorageRefused;
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
        {
            // A listener that cannot bind (address in use, not this machine's): the settings are
            // fine but the place is taken; Kestrel and the SMTP bridge say which address.
            await Console.Error.WriteLineAsync($"Could not start listening: {ex.Message}");
            return StorageRefused;
        }
    }
}
