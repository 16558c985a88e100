using System.Net;
using EmailApi.Tests.Storage;

namespace EmailApi.Tests.WebConsole;

/// <summary>
/// Two hosts on one PostgreSQL database, as two machines behind a load balancer: a console session
/// signed out on one node is over on the other too, even for a copy of its cookie.
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresConsoleNodesTests(EmailApi.TestKit.PostgresServer server)
{
    [Fact]
    public async Task SignOutOnOneNode_EndsTheSessionOnAnother()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Storage:Provider"] = "Postgres",
            ["Storage:Postgres:ConnectionString"] = await server.CreateDatabaseAsync(CancellationToken.None),
            ["Roles"] = "api",
        };
        using var first = new TestApp(new Dictionary<string, string?>(settings));
        using var second = new TestApp(new Dictionary<string, string?>(settings));
        var session = new ConsoleSession(first);
        var signIn = await session.SignInAsync(TestApp.Key);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        var cookie = signIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("emailapi_console=", StringComparison.Ordinal)).Split(';')[0];
        var copy = second.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        copy.DefaultRequestHeaders.Add("Cookie", cookie);
        Assert.Equal(HttpStatusCode.OK, (await copy.GetAsync("/console")).StatusCode);   // the other node reads the cookie

        Assert.Equal(HttpStatusCode.Redirect, (await session.PostAsync("/console", "/console/signout", new())).StatusCode);
        var replay = await copy.GetAsync("/console");
        Assert.Equal(HttpStatusCode.Redirect, replay.StatusCode);
        Assert.StartsWith("/console/signin", replay.Headers.Location!.PathAndQuery);
    }
}
