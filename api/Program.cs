using EmailApi.Accounts;
using EmailApi.Hosting;

// `keys ...` is the operator's command line; everything else configures the server the ASP.NET
// Core way (appsettings.json, EMAILAPI-style environment variables, --Key=Value arguments).
var isKeysCommand = KeysCommand.Matches(args);
var builder = WebApplication.CreateBuilder(new WebApplicationOptions
{
    Args = isKeysCommand ? args.Where(a => a.StartsWith("--") && a.Contains('=')).ToArray() : args,
    // appsettings.json ships beside the binary; relative paths in it (the data folder) stay relative to the working directory.
    ContentRootPath = AppContext.BaseDirectory,
});
SocketCompletions.ApplyDefault(builder.Configuration);
builder.AddEmailApi();
var app = builder.Build();

await app.Services.InitializeStorageAsync(CancellationToken.None);   // before serving; nothing to cancel yet
if (isKeysCommand)
    return await KeysCommand.RunAsync(args, app.Services.GetRequiredService<IAccountStore>(),
        app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AccountsOptions>>().Value, Console.Out, CancellationToken.None);

app.MapEmailApi();
await app.RunAsync();
return 0;

public partial class Program;
