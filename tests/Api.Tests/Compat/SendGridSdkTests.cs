using System.Net;
using System.Text.Json;
using SendGrid;
using SendGrid.Helpers.Mail;

namespace EmailApi.Tests.Compat;

/// <summary>The NuGet SendGrid client (9.29), unchanged but for its <c>host</c>, against <c>POST /v3/mail/send</c>.</summary>
public sealed class SendGridSdkTests
{
    private static SendGridMessage FullMessage(string to)
    {
        var message = MailHelper.CreateSingleEmail(new EmailAddress("sender@app.test", "Shop"), new EmailAddress(to, "Ana"),
            "Your order", "Thanks!", "<p>Thanks!</p>");
        message.AddCc("cc@ok.test");
        message.AddBcc("bcc@ok.test");
        message.AddAttachment("invoice.pdf", Convert.ToBase64String("%PDF-1.4\n"u8.ToArray()), "application/pdf");
        message.AddCategories(["orders", "dotnet"]);
        message.AddCustomArg("order", "1042");
        message.AddHeader("X-Order", "1042");
        return message;
    }

    private static SendGridClient Client(TestApp app, string key) => new(app.CreateClient(), key, host: app.Server.BaseAddress.ToString().TrimEnd('/'));

    [Fact]
    public async Task SendEmail_WithEveryField_Is202WithMessageId_AndLoggedWithTagsAndMetadata()
    {
        using var app = new TestApp();

        var response = await Client(app, TestApp.Key).SendEmailAsync(FullMessage("ana@ok.test"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.True(response.IsSuccessStatusCode);
        Assert.Equal("", await response.Body.ReadAsStringAsync());
        var id = Assert.Single(response.Headers.GetValues("X-Message-Id"));
        var view = await TestApp.ReadJsonAsync(await app.Authorized().GetAsync($"/v1/messages/{id}"));
        Assert.Equal("Your order", view.GetProperty("subject").GetString());
        Assert.Equal(["ana@ok.test", "bcc@ok.test", "cc@ok.test"], view.GetProperty("recipients").EnumerateArray().Select(r => r.GetProperty("email").GetString()!).Order());
        Assert.Equal(["dotnet", "orders"], view.GetProperty("tags").EnumerateArray().Select(t => t.GetString()!).Order());
        Assert.Equal("1042", view.GetProperty("metadata").GetProperty("order").GetString());
    }

    [Fact]
    public async Task SendEmail_WithWrongKey_Is401WithSendGridErrors()
    {
        using var app = new TestApp();

        var response = await Client(app, "ea_wrong_key_000000000000000000000000000").SendEmailAsync(FullMessage("ana@ok.test"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var errors = JsonDocument.Parse(await response.Body.ReadAsStringAsync()).RootElement.GetProperty("errors");
        Assert.Equal("The provided authorization grant is invalid, expired, or revoked", errors[0].GetProperty("message").GetString());
    }

    [Fact]
    public async Task SendEmail_ToInvalidAddress_Is400NamingTheField()
    {
        using var app = new TestApp();

        var response = await Client(app, TestApp.Key).SendEmailAsync(
            MailHelper.CreateSingleEmail(new EmailAddress("sender@app.test"), new EmailAddress("not-an-address"), "s", "x", null));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(await response.Body.ReadAsStringAsync()).RootElement.GetProperty("errors")[0];
        Assert.Equal("personalizations.0.to.0", error.GetProperty("field").GetString());
    }

    [Fact]
    public async Task SendEmail_ToSuppressedAddress_Is202_AndTheRecipientIsSuppressed()
    {
        using var app = new TestApp();
        var native = app.Authorized();
        (await native.PostAsync("/v1/suppressions", new StringContent("""{"email":"gone@ok.test"}""", System.Text.Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();

        var response = await Client(app, TestApp.Key).SendEmailAsync(
            MailHelper.CreateSingleEmail(new EmailAddress("sender@app.test"), new EmailAddress("gone@ok.test"), "s", "x", null));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var view = await TestApp.ReadJsonAsync(await native.GetAsync($"/v1/messages/{response.Headers.GetValues("X-Message-Id").Single()}"));
        Assert.Equal("suppressed", view.GetProperty("recipients")[0].GetProperty("status").GetString());
    }
}
