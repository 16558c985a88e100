using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;

namespace EmailApi.Tests.WebConsole;

/// <summary>A browser-like client of the console on a <see cref="TestApp"/>: keeps cookies, does not follow redirects, posts forms with their antiforgery token.</summary>
internal sealed partial class ConsoleSession(TestApp app, string baseAddress = "http://localhost")
{
    public HttpClient Http { get; } = app.CreateClient(new WebApplicationFactoryClientOptions
    {
        AllowAutoRedirect = false, HandleCookies = true, BaseAddress = new Uri(baseAddress),
    });

    public async Task<HttpResponseMessage> SignInAsync(string key)
    {
        var token = await TokenAsync("/console/signin");
        return await Http.PostAsync("/console/signin", new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = key, ["__csrf"] = token }));
    }

    public static async Task<ConsoleSession> SignedInAsync(TestApp app, string key = TestApp.Key)
    {
        var session = new ConsoleSession(app);
        var response = await session.SignInAsync(key);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return session;
    }

    /// <summary>The antiforgery token of the form on <paramref name="page"/>.</summary>
    public async Task<string> TokenAsync(string page)
    {
        var html = await Http.GetStringAsync(page);
        return Token().Match(html) is { Success: true } m ? WebUtility.HtmlDecode(m.Groups[1].Value) : throw new InvalidOperationException($"No form token on {page}.");
    }

    public async Task<HttpResponseMessage> PostAsync(string page, string action, Dictionary<string, string> fields)
    {
        fields["__csrf"] = await TokenAsync(page);
        return await Http.PostAsync(action, new FormUrlEncodedContent(fields));
    }

    /// <summary>Posts a form that should succeed: the answer is a redirect to <paramref name="expectedLocation"/> (Post/Redirect/Get), followed like a browser does.</summary>
    public async Task<string> SubmitAsync(string page, string action, Dictionary<string, string> fields, string expectedLocation)
    {
        var response = await PostAsync(page, action, fields);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(expectedLocation, response.Headers.Location!.OriginalString);
        return await GetPageAsync(expectedLocation);
    }

    public async Task<string> GetPageAsync(string path)
    {
        var response = await Http.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    [GeneratedRegex("name=\"__csrf\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex Token();
}
