using System.Net;
using System.Net.Sockets;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace EmailApi.Tests.WebConsole;

/// <summary>The console in a real browser (headless Chromium): the scenarios of issue 19.</summary>
public sealed class ConsoleBrowserTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    private static readonly LocatorAssertionsToContainTextOptions Patient = new() { Timeout = 20_000 };

    [Fact]
    public async Task SentMessage_AppearsInTheLog_TurnsDelivered_AndShowsTheSmtpReply()
    {
        var page = await browser.SignedInPageAsync(browser.Tenant.Key);
        await page.GotoAsync("/console/messages");
        var subject = $"Invoice {Guid.NewGuid():N}";
        var id = await browser.SendAsync(browser.Tenant, new { from = "billing@acme.test", to = "ann@dest.test", subject, text = "Your invoice.", html = "<h1>Your invoice</h1><p>Total: <b>42 EUR</b></p>", tags = new[] { "invoice" } });

        // No reload: the log's auto-refresh brings the row in and then its final state.
        var row = page.Locator("#log tbody tr", new() { HasText = subject });
        await Expect(row).ToContainTextAsync("delivered", Patient);
        await browser.ScreenshotAsync(page, "messages");

        await row.Locator("a.subject").ClickAsync();
        await page.WaitForURLAsync($"**/console/messages/{id}");
        await Expect(page.Locator("#message-status")).ToHaveTextAsync("delivered");
        await Expect(page.Locator("#recipients")).ToContainTextAsync("250 2.0.0 Ok: queued");
        await Expect(page.Locator("#recipients")).ToContainTextAsync("mx.dest.test");
        await Expect(page.Locator("#headers")).ToContainTextAsync(subject);
        await Expect(page.FrameLocator("#preview").Locator("h1")).ToHaveTextAsync("Your invoice");
        await browser.ScreenshotAsync(page, "message");

        await page.GotoAsync("/console");
        await Expect(page.Locator(".cards")).ToContainTextAsync("Delivered");
        await Expect(page.Locator("#quota")).ToBeVisibleAsync();
        await browser.ScreenshotAsync(page, "overview");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Suppression_CanBeAdded_AndRemoved()
    {
        var page = await browser.SignedInPageAsync(browser.Tenant.Key);
        await page.GotoAsync("/console/suppressions");
        await page.FillAsync("#add-suppression input[name=email]", "Gone@Example.org");
        await page.FillAsync("#add-suppression input[name=reason]", "asked to stop");
        await page.ClickAsync("#add-suppression button");
        var row = page.Locator("#suppressions tbody tr", new() { HasText = "gone@example.org" });
        await Expect(row).ToContainTextAsync("asked to stop");
        Assert.Contains("gone@example.org", await browser.Tenant.Client.GetStringAsync("/v1/suppressions"));
        await browser.ScreenshotAsync(page, "suppressions");

        await row.Locator("button", new() { HasText = "Remove" }).ClickAsync();
        await Expect(page.Locator(".notice")).ToContainTextAsync("no longer suppressed");
        await Expect(page.Locator("#suppressions")).Not.ToContainTextAsync("gone@example.org");
        Assert.DoesNotContain("gone@example.org", await browser.Tenant.Client.GetStringAsync("/v1/suppressions"));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Key_CanBeCreated_ShownOnce_AndRevoked()
    {
        var page = await browser.SignedInPageAsync(TestApp.Key);
        await page.GotoAsync("/console/keys");
        await page.FillAsync("#create-key input[name=name]", "reporting");
        await page.UncheckAsync("#create-key input[value=send]");
        await page.ClickAsync("#create-key button[type=submit]");
        var key = (await page.Locator("#new-key").TextContentAsync())!.Trim();
        Assert.StartsWith("ea_", key);
        var reader = new HttpClient { BaseAddress = new Uri(browser.BaseUrl) };
        reader.DefaultRequestHeaders.Authorization = new("Bearer", key);
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/v1/messages")).StatusCode);
        await browser.ScreenshotAsync(page, "keys");

        await page.GotoAsync("/console/keys");
        Assert.Equal(0, await page.Locator("#new-key").CountAsync());   // shown only once
        var row = page.Locator("#keys tbody tr", new() { HasText = "reporting" });
        await Expect(row).ToContainTextAsync("read");
        await row.Locator("button", new() { HasText = "Revoke" }).ClickAsync();
        await Expect(page.Locator("#keys tbody tr", new() { HasText = "reporting" })).ToContainTextAsync("revoked");
        Assert.Equal(HttpStatusCode.Unauthorized, (await reader.GetAsync("/v1/messages")).StatusCode);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Reload_AfterAForm_DoesNotPostItAgain()
    {
        var page = await browser.SignedInPageAsync(TestApp.Key);
        await page.GotoAsync("/console/suppressions");
        await page.FillAsync("#add-suppression input[name=email]", "reload@example.org");
        await page.ClickAsync("#add-suppression button");
        await Expect(page.Locator(".notice")).ToContainTextAsync("reload@example.org is suppressed");
        Assert.EndsWith("/console/suppressions", page.Url);   // redirected: the address bar holds a GET
        // Removed elsewhere; a reload must not add it back, and the notice was for that one answer.
        Assert.Equal(HttpStatusCode.NoContent, (await browser.Harness.Client.DeleteAsync("/v1/suppressions/reload@example.org")).StatusCode);
        await page.ReloadAsync();
        await Expect(page.Locator("#suppressions")).Not.ToContainTextAsync("reload@example.org");
        Assert.Equal(0, await page.Locator(".notice").CountAsync());
        Assert.DoesNotContain("reload@example.org", await browser.Harness.Client.GetStringAsync("/v1/suppressions"));

        await page.GotoAsync("/console/keys");
        await page.FillAsync("#create-key input[name=name]", "made-once");
        await page.ClickAsync("#create-key button[type=submit]");
        Assert.StartsWith("ea_", (await page.Locator("#new-key").TextContentAsync())!.Trim());
        await page.ReloadAsync();
        await Expect(page.Locator("#keys")).ToContainTextAsync("made-once");
        Assert.Equal(0, await page.Locator("#new-key").CountAsync());   // the secret was shown once, and no second key was made
        var accountId = (await TestApp.ReadJsonAsync(await browser.Harness.Client.GetAsync("/v1/account"))).GetProperty("id").GetString();
        var keys = await TestApp.ReadJsonAsync(await browser.Harness.Client.GetAsync($"/v1/accounts/{accountId}/keys"));
        Assert.Single(keys.EnumerateArray(), k => k.GetProperty("name").GetString() == "made-once");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task ScriptInSubject_AndScriptsAndRemoteImagesInTheBody_RenderInert()
    {
        using var canary = new TcpListener(IPAddress.Loopback, 0);
        canary.Start();
        var canaryPort = ((IPEndPoint)canary.LocalEndpoint).Port;
        var page = await browser.SignedInPageAsync(browser.Tenant.Key);
        var dialogs = 0;
        page.Dialog += (_, dialog) => { dialogs++; _ = dialog.DismissAsync(); };

        var id = await browser.SendAsync(browser.Tenant, new
        {
            from = "x@acme.test", to = "bob@dest.test",
            subject = "<script>alert('subject')</script><img src=x onerror=alert(1)>",
            html = $"<p id=\"hello\">Hello</p><script>document.body.setAttribute('data-ran','1');alert('body');parent.document.title='owned'</script>" +
                   $"<img id=\"remote\" src=\"http://127.0.0.1:{canaryPort}/pixel.png\"><img src=x onerror=\"document.body.setAttribute('data-ran','2')\">",
        });
        await page.GotoAsync($"/console/messages/{id}");
        await Expect(page.Locator("h1.subject")).ToHaveTextAsync("<script>alert('subject')</script><img src=x onerror=alert(1)>");
        var frame = page.FrameLocator("#preview");
        await Expect(frame.Locator("#hello")).ToHaveTextAsync("Hello");
        await page.Locator("#preview").ScrollIntoViewIfNeededAsync();
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

        Assert.Null(await frame.Locator("body").GetAttributeAsync("data-ran"));
        Assert.Equal(0, dialogs);
        Assert.DoesNotContain("owned", await page.TitleAsync());
        Assert.Equal(0, await page.Locator("h1.subject script, h1.subject img").CountAsync());
        // The remote image was never requested: the preview's policy allows images only as data: URLs.
        Assert.False(canary.Pending(), "the preview loaded a remote image");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task FormPostedWithoutTheAntiforgeryToken_IsRefused()
    {
        var page = await browser.SignedInPageAsync(browser.Tenant.Key);
        await page.GotoAsync("/console/suppressions");
        await page.EvaluateAsync("() => document.querySelectorAll('#add-suppression input[name=__csrf]').forEach(e => e.remove())");
        await page.FillAsync("#add-suppression input[name=email]", "csrf@example.org");
        var response = await page.RunAndWaitForResponseAsync(() => page.ClickAsync("#add-suppression button"),
            r => r.Url.Contains("/console/suppressions", StringComparison.Ordinal) && r.Request.Method == "POST");
        Assert.Equal(400, response.Status);
        await Expect(page.Locator(".error")).ToContainTextAsync("nothing was changed");
        Assert.DoesNotContain("csrf@example.org", await browser.Tenant.Client.GetStringAsync("/v1/suppressions"));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Tenant_CannotOpenAnotherTenantsMessage_ByUrl()
    {
        var id = await browser.SendAsync(browser.Tenant, new { from = "x@acme.test", to = "carol@dest.test", subject = "acme internal", text = "private" });
        var page = await browser.SignedInPageAsync(browser.OtherTenant.Key);
        foreach (var url in new[] { $"/console/messages/{id}", $"/console/messages/{id}/preview", $"/console/messages/{id}/source" })
        {
            var response = await page.GotoAsync(url);
            Assert.Equal(404, response!.Status);
            Assert.DoesNotContain("acme internal", await page.ContentAsync());
        }
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task SignOut_EndsTheSession()
    {
        var page = await browser.SignedInPageAsync(browser.Tenant.Key);
        await page.GotoAsync("/console/messages");
        await page.ClickAsync("#sign-out");
        await page.WaitForURLAsync("**/console/signin");
        var response = await page.GotoAsync("/console/messages");
        Assert.Contains("/console/signin", page.Url);
        Assert.Equal(200, response!.Status);
        await Expect(page.Locator("#key")).ToBeVisibleAsync();
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name == "emailapi_console");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task OperatorPages_ShowAccountsQueueDomainsAndWebhooks()
    {
        var page = await browser.SignedInPageAsync(TestApp.Key);
        await page.GotoAsync("/console/accounts");
        await Expect(page.Locator("#accounts")).ToContainTextAsync("acme");
        await browser.ScreenshotAsync(page, "accounts");
        await page.GotoAsync("/console/queue");
        await Expect(page.Locator("#due")).ToBeVisibleAsync();
        await browser.ScreenshotAsync(page, "queue");

        await page.GotoAsync("/console/domains");
        await page.FillAsync("#add-domain input[name=name]", "acme-mail.test");
        await page.ClickAsync("#add-domain button");
        await Expect(page.Locator(".domain", new() { HasText = "acme-mail.test" })).ToContainTextAsync("v=DKIM1");
        await browser.ScreenshotAsync(page, "domains");

        await page.GotoAsync("/console/webhooks");
        await page.FillAsync("#add-webhook input[name=url]", "https://93.184.216.34/hooks");
        await page.ClickAsync("#add-webhook button");
        await Expect(page.Locator("#new-secret")).ToBeVisibleAsync();
        await Expect(page.Locator("#webhooks")).ToContainTextAsync("https://93.184.216.34/hooks");
        await page.Context.CloseAsync();
    }
}
