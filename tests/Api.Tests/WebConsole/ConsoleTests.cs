using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using EmailApi.Tests.Accounts;

namespace EmailApi.Tests.WebConsole;

/// <summary>The console over HTTP (no browser): sessions, refusals, headers and tenant isolation on every URL that takes an id.</summary>
public sealed class ConsoleTests : IDisposable
{
    private readonly TestApp _app = new(new()
    {
        ["Domains:RequireVerified"] = "false",
        ["Smtp:AuthFailureDelay"] = "00:00:00.300",
        ["Smtp:MaxAuthFailures"] = "3",
    });

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task Root_RedirectsToTheConsole_AndPagesWithoutSession_RedirectToSignIn()
    {
        var client = new ConsoleSession(_app).Http;
        var root = await client.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, root.StatusCode);
        Assert.Equal("/console", root.Headers.Location!.OriginalString);
        foreach (var page in new[] { "/console", "/console/messages", "/console/keys", "/console/accounts", $"/console/messages/{Guid.NewGuid()}/preview" })
        {
            var response = await client.GetAsync(page);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/console/signin", response.Headers.Location!.PathAndQuery);
        }
    }

    [Fact]
    public async Task SignIn_SetsAnHttpOnlyStrictCookie_SecureOnlyOverHttps()
    {
        var plain = await new ConsoleSession(_app).SignInAsync(TestApp.Key);
        var cookie = plain.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("emailapi_console=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", cookie.Replace("samesite", ""), StringComparison.OrdinalIgnoreCase);

        var https = await new ConsoleSession(_app, "https://localhost").SignInAsync(TestApp.Key);
        Assert.Contains("; secure", https.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("emailapi_console=", StringComparison.Ordinal)),
            StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task SignIn_WithWrongKeys_IsSlowedDown_ThenLockedOut()
    {
        var session = new ConsoleSession(_app);
        var clock = Stopwatch.StartNew();
        var first = await session.SignInAsync("ea_wrong_key");
        Assert.Equal(HttpStatusCode.Unauthorized, first.StatusCode);
        Assert.Contains("That key was not accepted.", await first.Content.ReadAsStringAsync());
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(290), $"answered after {clock.ElapsedMilliseconds} ms");

        clock.Restart();
        Assert.Equal(HttpStatusCode.Unauthorized, (await session.SignInAsync("ea_wrong_key")).StatusCode);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(590), $"second failure answered after {clock.ElapsedMilliseconds} ms");

        var third = await session.SignInAsync("ea_wrong_key");
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.True(third.Headers.Contains("Retry-After"));
        // Locked out: even the right key waits for the lockout to end.
        Assert.Equal(HttpStatusCode.TooManyRequests, (await session.SignInAsync(TestApp.Key)).StatusCode);
    }

    [Fact]
    public async Task SignIn_WithASendOnlyKey_IsRefused()
    {
        var admin = new AdminApi(_app);
        var account = await admin.CreateAccountAsync("sender-only", scopes: ["send"]);
        var response = await new ConsoleSession(_app).SignInAsync(account.Key);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("lacks the read scope", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Post_WithoutAntiforgeryToken_IsRefused_AndChangesNothing()
    {
        var session = await ConsoleSession.SignedInAsync(_app);
        var forged = await session.Http.PostAsync("/console/suppressions?handler=Add",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["email"] = "forged@example.org" }));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Contains("nothing was changed", await forged.Content.ReadAsStringAsync());
        Assert.DoesNotContain("forged@example.org", await session.GetPageAsync("/console/suppressions"));
        Assert.DoesNotContain("forged@example.org", await _app.Authorized().GetStringAsync("/v1/suppressions"));

        await session.SubmitAsync("/console/suppressions", "/console/suppressions?handler=Add", new() { ["email"] = "Real@Example.org", ["reason"] = "asked us" },
            "/console/suppressions");
        Assert.Contains("real@example.org", await _app.Authorized().GetStringAsync("/v1/suppressions"));
    }

    [Fact]
    public async Task Forms_AnswerWithARedirectToThePage_TheNoticeShownOnce_ARefusalWithThePage()
    {
        var session = await ConsoleSession.SignedInAsync(_app);
        // The page's own query (a search) is kept; the form's handler is not.
        var shown = await session.SubmitAsync("/console/suppressions?q=prg", "/console/suppressions?q=prg&handler=Add", new() { ["email"] = "prg@example.org" },
            "/console/suppressions?q=prg");
        Assert.Contains("prg@example.org is suppressed.", shown);
        Assert.DoesNotContain("is suppressed.", await session.GetPageAsync("/console/suppressions?q=prg"));

        var refused = await session.PostAsync("/console/suppressions", "/console/suppressions?handler=Add", new() { ["email"] = "not an address" });
        Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
        Assert.Contains("class=\"error\"", await refused.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task NewKey_IsShownOnceAfterTheRedirect_OnlyToItsSession()
    {
        var session = await ConsoleSession.SignedInAsync(_app);
        var response = await session.PostAsync("/console/keys", "/console/keys?handler=Create", new() { ["name"] = "prg-key", ["scopes"] = "read" });
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        // The redirect's cookies carry a notice id only, never the key: it waits sealed in the database.
        Assert.DoesNotContain("ea_", string.Join(";", response.Headers.GetValues("Set-Cookie")));
        var page = await session.GetPageAsync("/console/keys");
        var key = System.Text.RegularExpressions.Regex.Match(page, "id=\"new-key\">(ea_[^<]+)<").Groups[1].Value;
        Assert.StartsWith("ea_", key);
        var reader = _app.CreateClient();
        reader.DefaultRequestHeaders.Authorization = new("Bearer", key);
        Assert.Equal(HttpStatusCode.OK, (await reader.GetAsync("/v1/messages")).StatusCode);
        Assert.DoesNotContain("id=\"new-key\"", await session.GetPageAsync("/console/keys"));
    }

    [Fact]
    public async Task SignOut_EndsTheSession_EvenForACopyOfTheCookie()
    {
        var session = new ConsoleSession(_app);
        var signIn = await session.SignInAsync(TestApp.Key);
        var cookie = signIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("emailapi_console=", StringComparison.Ordinal)).Split(';')[0];
        var copy = _app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        copy.DefaultRequestHeaders.Add("Cookie", cookie);
        Assert.Equal(HttpStatusCode.OK, (await copy.GetAsync("/console")).StatusCode);

        var signOut = await session.PostAsync("/console", "/console/signout", new());
        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await session.Http.GetAsync("/console")).StatusCode);
        var replay = await copy.GetAsync("/console");
        Assert.Equal(HttpStatusCode.Redirect, replay.StatusCode);
        Assert.StartsWith("/console/signin", replay.Headers.Location!.PathAndQuery);
    }

    [Fact]
    public async Task RevokingTheKey_EndsItsSessions()
    {
        var admin = new AdminApi(_app);
        var account = await admin.CreateAccountAsync("revoked");
        var session = await ConsoleSession.SignedInAsync(_app, account.Key);
        Assert.Equal(HttpStatusCode.OK, (await session.Http.GetAsync("/console/messages")).StatusCode);
        var keys = await TestApp.ReadJsonAsync(await _app.Authorized().GetAsync($"/v1/accounts/{account.Id}/keys"));
        var keyId = keys.EnumerateArray().Single().GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.NoContent, (await _app.Authorized().DeleteAsync($"/v1/accounts/{account.Id}/keys/{keyId}")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await session.Http.GetAsync("/console/messages")).StatusCode);
    }

    [Fact]
    public async Task Pages_CarryAStrictPolicy_AndThePreviewItsOwn()
    {
        var session = await ConsoleSession.SignedInAsync(_app);
        var sent = await _app.Authorized().PostAsJsonAsync("/v1/send", new
        {
            from = "app@example.com", to = "x@example.org", subject = "<script>alert(1)</script>",
            html = "<p>hi</p><script>alert(2)</script><img src=\"http://203.0.113.9/track.png\">",
        });
        var id = (await TestApp.ReadJsonAsync(sent)).GetProperty("id").GetString();

        var page = await session.Http.GetAsync($"/console/messages/{id}");
        var csp = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self'", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.Equal("DENY", page.Headers.GetValues("X-Frame-Options").Single());
        var html = await page.Content.ReadAsStringAsync();
        Assert.DoesNotContain("<script>alert(1)", html);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html);
        Assert.Contains("<iframe id=\"preview\" class=\"preview\" sandbox src=", html);

        var preview = await session.Http.GetAsync($"/console/messages/{id}/preview");
        Assert.Equal("default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; frame-ancestors 'self'; base-uri 'none'; form-action 'none'",
            preview.Headers.GetValues("Content-Security-Policy").Single());
        var source = await session.Http.GetAsync($"/console/messages/{id}/source");
        Assert.Equal("message/rfc822", source.Content.Headers.ContentType!.MediaType);
        Assert.Contains("Subject:", await source.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Tenant_CannotReachAnotherAccountsData_ByAnyConsoleUrl()
    {
        var admin = new AdminApi(_app);
        var a = await admin.CreateAccountAsync("tenant-a");
        var b = await admin.CreateAccountAsync("tenant-b");
        var sent = await a.SendAsync(new { from = "s@example.com", to = "x@example.org", subject = "secret of a", text = "x", sendAt = DateTimeOffset.UtcNow.AddDays(1) });
        var id = (await TestApp.ReadJsonAsync(sent)).GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.Created, (await a.Client.PostAsJsonAsync("/v1/suppressions", new { email = "a-blocked@example.org" })).StatusCode);

        var tenantB = await ConsoleSession.SignedInAsync(_app, b.Key);
        foreach (var url in new[] { $"/console/messages/{id}", $"/console/messages/{id}/preview", $"/console/messages/{id}/source" })
            Assert.Equal(HttpStatusCode.NotFound, (await tenantB.Http.GetAsync(url)).StatusCode);
        var cancel = await tenantB.PostAsync("/console/suppressions", $"/console/messages/{id}?handler=Cancel", new());
        Assert.Equal(HttpStatusCode.NotFound, cancel.StatusCode);
        Assert.DoesNotContain("secret of a", await tenantB.GetPageAsync("/console/messages"));
        Assert.DoesNotContain("a-blocked@example.org", await tenantB.GetPageAsync("/console/suppressions"));
        var remove = await tenantB.PostAsync("/console/suppressions", "/console/suppressions?handler=Remove", new() { ["email"] = "a-blocked@example.org" });
        Assert.Contains("not on the suppression list", await remove.Content.ReadAsStringAsync());
        Assert.Contains("a-blocked@example.org", await a.Client.GetStringAsync("/v1/suppressions"));

        // The operator pages and the account switch need the admin scope.
        foreach (var url in new[] { "/console/accounts", "/console/queue" })
        {
            var response = await tenantB.Http.GetAsync(url);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/console/denied", response.Headers.Location!.PathAndQuery);
        }
        var view = await tenantB.PostAsync("/console/suppressions", "/console/accounts?handler=View", new() { ["id"] = a.Id });
        Assert.Equal(HttpStatusCode.Redirect, view.StatusCode);
        Assert.StartsWith("/console/denied", view.Headers.Location!.PathAndQuery);
        Assert.DoesNotContain("secret of a", await tenantB.GetPageAsync("/console/messages"));

        // Still a's message, for a.
        Assert.Contains("secret of a", await (await ConsoleSession.SignedInAsync(_app, a.Key)).GetPageAsync($"/console/messages/{id}"));
    }

    [Fact]
    public async Task Admin_SeesEveryAccount_AndCanViewOne()
    {
        var admin = new AdminApi(_app);
        var a = await admin.CreateAccountAsync("viewed");
        await a.SendAsync(new { from = "s@example.com", to = "x@example.org", subject = "mail of viewed", text = "x" });
        var session = await ConsoleSession.SignedInAsync(_app);
        Assert.Contains("viewed", await session.GetPageAsync("/console/accounts"));
        Assert.DoesNotContain("mail of viewed", await session.GetPageAsync("/console/messages"));

        Assert.Equal(HttpStatusCode.Redirect, (await session.PostAsync("/console/accounts", "/console/accounts?handler=View", new() { ["id"] = a.Id })).StatusCode);
        var messages = await session.GetPageAsync("/console/messages");
        Assert.Contains("mail of viewed", messages);
        Assert.Contains("as an operator", messages);
        Assert.Equal(HttpStatusCode.OK, (await session.Http.GetAsync("/console/queue")).StatusCode);

        Assert.Equal(HttpStatusCode.Redirect, (await session.PostAsync("/console", "/console/accounts?handler=Home", new())).StatusCode);
        Assert.DoesNotContain("mail of viewed", await session.GetPageAsync("/console/messages"));
    }

    [Fact]
    public async Task Console_CanBeTurnedOff()
    {
        using var app = new TestApp(new() { ["Console:Enabled"] = "false" });
        var client = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/console")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/console/signin")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
    }
}

/// <summary>The message page's buttons: cancel a scheduled send (send scope), retry deferred recipients now (operator).</summary>
public sealed class ConsoleMessageActionsTests
{
    [Fact]
    public async Task Cancel_WithdrawsAScheduledSend()
    {
        using var app = new TestApp(new() { ["Domains:RequireVerified"] = "false" });
        var sent = await app.Authorized().PostAsJsonAsync("/v1/send", new { from = "s@example.com", to = "x@example.org", text = "later", sendAt = DateTimeOffset.UtcNow.AddDays(1) });
        var id = (await TestApp.ReadJsonAsync(sent)).GetProperty("id").GetString();
        var session = await ConsoleSession.SignedInAsync(app);
        Assert.Contains("id=\"cancel\"", await session.GetPageAsync($"/console/messages/{id}"));

        var page = await session.SubmitAsync($"/console/messages/{id}", $"/console/messages/{id}?handler=Cancel", new(), $"/console/messages/{id}");
        Assert.Contains("Cancelled the recipients", page);
        Assert.DoesNotContain("id=\"cancel\"", page);
        Assert.Equal("cancelled", (await TestApp.ReadJsonAsync(await app.Authorized().GetAsync($"/v1/messages/{id}"))).GetProperty("status").GetString());
    }

    [Fact]
    public async Task RetryNow_MakesDeferredRecipientsDue_ForTheOperatorOnly()
    {
        await using var h = new EmailApi.Tests.Delivery.DeliveryHarness(new() { ["Domains:RequireVerified"] = "false", ["Delivery:RetryDelays:0"] = "01:00:00" });
        h.Dns.Mx("dest.test", 10, "mx.dest.test").A("mx.dest.test", "127.0.0.2");
        var mx = h.Server("127.0.0.2");
        var attempts = 0;
        mx.OnRcpt = _ => Interlocked.Increment(ref attempts) == 1 ? "451 4.7.1 greylisted, come back later" : "250 2.1.5 Ok";
        var id = await h.SendAsync(new { from = "s@example.com", to = "x@dest.test", text = "x" });
        await h.WaitForStatusAsync(id, "deferred");

        var admin = new AdminApi(h.App);
        var viewer = await admin.CreateKeyAsync((await TestApp.ReadJsonAsync(await h.Client.GetAsync("/v1/account"))).GetProperty("id").GetString()!, ["send", "read"]);
        var tenant = await ConsoleSession.SignedInAsync(h.App, viewer);
        var tenantPage = await tenant.GetPageAsync($"/console/messages/{id}");
        Assert.Contains("451 4.7.1 greylisted", tenantPage);
        Assert.DoesNotContain("id=\"retry\"", tenantPage);
        var refused = await (await tenant.PostAsync($"/console/messages/{id}", $"/console/messages/{id}?handler=Retry", new())).Content.ReadAsStringAsync();
        Assert.Contains("lacks the admin scope", refused);
        Assert.Equal("deferred", (await h.GetAsync(id)).GetProperty("status").GetString());

        var operatorSession = await ConsoleSession.SignedInAsync(h.App);
        Assert.Contains("id=\"retry\"", await operatorSession.GetPageAsync($"/console/messages/{id}"));
        var retried = await operatorSession.SubmitAsync($"/console/messages/{id}", $"/console/messages/{id}?handler=Retry", new(), $"/console/messages/{id}");
        Assert.Contains("1 deferred recipient(s) are due now.", retried);
        await h.WaitForStatusAsync(id, "delivered");   // an hour early: the retry delay is one hour
    }
}
