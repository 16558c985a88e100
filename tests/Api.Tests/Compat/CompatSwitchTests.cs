using System.Net;

namespace EmailApi.Tests.Compat;

/// <summary><c>Compat:{Provider}:Enabled=false</c> takes that provider's routes away (404, like any unknown path), and only those.</summary>
public sealed class CompatSwitchTests
{
    public static TheoryData<string, string, string> Routes => new()
    {
        { "SendGrid", "POST", "/v3/mail/send" },
        { "Postmark", "POST", "/email" },
        { "Postmark", "POST", "/email/batch" },
        { "Mailgun", "POST", "/v3/app.test/messages" },
        { "Mailgun", "POST", "/v3/app.test/messages.mime" },
        { "Resend", "POST", "/emails" },
        { "Resend", "POST", "/emails/batch" },
        { "Resend", "GET", "/emails/0194c1f2-0000-7000-8000-000000000000" },
    };

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task Route_WhenItsProviderIsDisabled_Is404_AndOtherProvidersStay(string provider, string method, string path)
    {
        using var off = new TestApp(new() { [$"Compat:{provider}:Enabled"] = "false" });
        using var on = new TestApp();

        using var disabled = await off.Authorized().SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        using var enabled = await on.Authorized().SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.Equal(HttpStatusCode.NotFound, disabled.StatusCode);
        Assert.DoesNotContain("not_found", await disabled.Content.ReadAsStringAsync());
        // Enabled, the route answers in its provider's words (Resend's GET of an unknown id is its own 404 not_found).
        Assert.True(enabled.StatusCode != HttpStatusCode.NotFound || (await enabled.Content.ReadAsStringAsync()).Contains("not_found"));
        var others = new[] { "/v3/mail/send", "/email", "/emails" }.Where(p => !Routes.Any(r => r[0].Equals(provider) && r[2].Equals(p)));
        foreach (var other in others)
        {
            using var stays = await off.Authorized().PostAsync(other, new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
            Assert.NotEqual(HttpStatusCode.NotFound, stays.StatusCode);
        }
    }
}
