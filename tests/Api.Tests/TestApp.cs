using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace EmailApi.Tests;

/// <summary>
/// The real host (all of Program.cs) on a temp SQLite file, with the settings a test chooses
/// (DNS server, delivery port, roles, time). Disposing it stops the host and deletes the file.
/// </summary>
public sealed class TestApp : WebApplicationFactory<Program>
{
    public const string Key = "ea_test_bootstrap_key_0123456789abcdefghijklmnop";

    private readonly Dictionary<string, string?> _settings;
    private readonly TimeProvider? _clock;
    private readonly Action<IServiceCollection>? _services;

    /// <param name="services">Changes to the host's services, e.g. leaving out a hosted service to test a part alone.</param>
    public TestApp(Dictionary<string, string?>? settings = null, TimeProvider? clock = null, Action<IServiceCollection>? services = null)
    {
        Directory = Path.Combine(Path.GetTempPath(), "emailapi-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        _settings = new Dictionary<string, string?>
        {
            ["Storage:Sqlite:Path"] = Path.Combine(Directory, "queue.db"),
            ["Bootstrap:ApiKey"] = Key,
            ["Roles"] = "api",
            ["Delivery:HeloName"] = "relay.test",
            ["Delivery:PollInterval"] = "00:00:00.200",
            ["Delivery:DnsTimeout"] = "00:00:02",
            ["Delivery:ConnectTimeout"] = "00:00:05",
            ["Delivery:GreetingTimeout"] = "00:00:05",
            ["Delivery:CommandTimeout"] = "00:00:05",
            ["Smtp:Port"] = "0",
            ["Smtp:ImplicitTlsPort"] = "0",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? []) _settings[key] = value;
        _clock = clock;
        _services = services;
    }

    public string Directory { get; }

    public HttpClient Authorized(string key = Key)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
        builder.UseEnvironment("Testing");
        if (_clock is not null)
            builder.ConfigureServices(s => s.Replace(ServiceDescriptor.Singleton(_clock)));
        if (_services is not null) builder.ConfigureServices(_services);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        SqliteConnection.ClearAllPools();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>(Json));
}
