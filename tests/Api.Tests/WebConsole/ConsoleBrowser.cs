using System.Net;
using System.Net.Http.Json;
using EmailApi.Tests.Accounts;
using EmailApi.Tests.Delivery;
using EmailApi.TestKit;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace EmailApi.Tests.WebConsole;

/// <summary>
/// The real host on a loopback port (Kestrel), delivering through a real DNS server to a receiving
/// SMTP server on 127.0.0.2, and Debian's Chromium driven headless by Playwright. The browser is
/// the system's (<c>CONSOLE_BROWSER</c>, default <c>/usr/bin/chromium</c>); when it is missing the
/// tests fail and say so: they are never skipped.
/// </summary>
public sealed class ConsoleBrowser : IAsyncLifetime
{
    public static readonly string BrowserPath = Environment.GetEnvironmentVariable("CONSOLE_BROWSER") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public DeliveryHarness Harness { get; } = new(new() { ["Domains:RequireVerified"] = "false", ["Console:RefreshSeconds"] = "1" });
    public FakeSmtpServer Mx { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    public string BaseUrl { get; private set; } = "";
    internal TestAccount Tenant { get; private set; } = null!;
    internal TestAccount OtherTenant { get; private set; } = null!;

    /// <summary>Where the tests leave screenshots of the pages: <c>CONSOLE_SCREENSHOTS</c>, or a folder beside the test binaries.</summary>
    public static string ScreenshotDirectory { get; } = Environment.GetEnvironmentVariable("CONSOLE_SCREENSHOTS") is { Length: > 0 } dir
        ? Path.GetFullPath(dir) : Path.Combine(AppContext.BaseDirectory, "console-screenshots");

    public async Task InitializeAsync()
    {
        if (!File.Exists(BrowserPath))
            throw new InvalidOperationException($"The console's browser tests need Chromium at {BrowserPath} (apt-get install chromium; scripts/test.sh installs it).");
        Harness.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        Mx = Harness.Server("127.0.0.2");
        Harness.App.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        Harness.App.StartServer();
        var addresses = Harness.App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        BaseUrl = addresses.Single().Replace("[::]", "127.0.0.1").Replace("localhost", "127.0.0.1");

        var admin = new AdminApi(Harness.App);
        Tenant = await admin.CreateAccountAsync("acme", new { monthlyQuota = 10000 });
        OtherTenant = await admin.CreateAccountAsync("globex");

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = BrowserPath,
            Headless = true,
            // As root (CI), Chromium's own sandbox cannot start; the page sandbox under test is the iframe's and the CSP's.
            Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        });
        Directory.CreateDirectory(ScreenshotDirectory);
    }

    public async Task<IPage> SignedInPageAsync(string key)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = BaseUrl, ViewportSize = new ViewportSize { Width = 1280, Height = 860 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/console");
        Assert.EndsWith("/console/signin?returnUrl=%2Fconsole", page.Url);
        await page.FillAsync("#key", key);
        await page.ClickAsync("form button[type=submit]");
        await page.WaitForURLAsync($"{BaseUrl}/console");
        return page;
    }

    internal async Task<string> SendAsync(TestAccount account, object message)
    {
        var response = await account.Client.PostAsJsonAsync("/v1/send", message);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await TestApp.ReadJsonAsync(response)).GetProperty("id").GetString()!;
    }

    public Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, $"console-{name}.png"), FullPage = false });

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
        await Harness.DisposeAsync();
    }
}
