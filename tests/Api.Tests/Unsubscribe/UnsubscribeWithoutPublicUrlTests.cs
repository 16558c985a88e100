using System.Net;
using System.Net.Http.Json;

namespace EmailApi.Tests.Unsubscribe;

/// <summary>Without Http:PublicBaseUrl no link can be made, and the request says so rather than sending without one.</summary>
public sealed class UnsubscribeWithoutPublicUrlTests
{
    [Fact]
    public async Task Send_WithUnsubscribe_WithoutPublicBaseUrl_400NamingTheSetting()
    {
        using var app = new TestApp();
        var response = await app.Authorized().PostAsJsonAsync("/v1/send", new { from = "news@example.com", to = "a@dest.test", text = "x", unsubscribe = true });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Http:PublicBaseUrl", (await TestApp.ReadJsonAsync(response)).GetProperty("errors").GetProperty("unsubscribe")[0].GetString());
    }
}
