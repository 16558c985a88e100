using System.Text;

namespace EmailApi.Tests.TestSupport;

/// <summary>Steps most raw-socket tests share.</summary>
internal static class Sessions
{
    public static string AuthPlain(string key = FakeSubmissionPort.Key) =>
        "AUTH PLAIN " + Convert.ToBase64String(Encoding.UTF8.GetBytes("\0apikey\0" + key));

    /// <summary>Greeting, EHLO and AUTH PLAIN with the good key.</summary>
    public static async Task<RawSmtpClient> LoggedInAsync(this BridgeServer server)
    {
        var raw = await server.ConnectRawAsync();
        await raw.ReadReplyAsync();
        await raw.CommandAsync("EHLO client.test");
        var auth = await raw.CommandAsync(AuthPlain());
        Assert.StartsWith("235 2.7.0", auth);
        return raw;
    }

    /// <summary>MAIL, one RCPT and DATA, up to the 354.</summary>
    public static async Task StartMessageAsync(this RawSmtpClient raw, string to = "x@example.org")
    {
        Assert.StartsWith("250 2.1.0", await raw.CommandAsync("MAIL FROM:<a@example.com>"));
        Assert.StartsWith("250 2.1.5", await raw.CommandAsync($"RCPT TO:<{to}>"));
        Assert.StartsWith("354", await raw.CommandAsync("DATA"));
    }
}
