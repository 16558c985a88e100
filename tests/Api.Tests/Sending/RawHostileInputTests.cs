using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using EmailApi.SmtpBridge.Messages;
using EmailApi.Tests.Accounts;

namespace EmailApi.Tests.Sending;

/// <summary>
/// Issue #15, points 2, 3 and 4 on <c>POST /v1/send/raw</c>: a header block that would cost minutes
/// to parse, a bare CR that hides a second header from our checks, NUL, and malformed MIME are
/// each a 400 (never a 500), answered fast, and nothing is queued.
/// </summary>
public sealed class RawHostileInputTests : IDisposable
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(15);

    private readonly TestApp _app = new();
    private readonly AdminApi _admin;

    public RawHostileInputTests() => _admin = new AdminApi(_app);

    public void Dispose() => _app.Dispose();

    [Fact]
    public async Task Raw_BareCrHidingASecondFrom_IsRefusedAndNothingIsQueued()
    {
        var account = await _admin.CreateAccountAsync("shop", new { senderDomains = new[] { "example.com" } });
        // MimeKit reads one To header "r@example.org\rFrom: ..."; a server that ends lines at a bare CR
        // reads a second From outside the account's domains.
        var mime = "From: a@example.com\r\nTo: r@example.org\rFrom: ceo@elsewhere.test\r\nSubject: hidden\r\n\r\nbody\r\n";

        var response = await account.Client.PostAsync("/v1/send/raw", Raw(mime));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await TestApp.ReadJsonAsync(response)).GetProperty("errors");
        Assert.True(errors.TryGetProperty("To", out _), errors.ToString());
        Assert.Equal(0, (await TestApp.ReadJsonAsync(await account.Client.GetAsync("/v1/messages"))).GetProperty("items").GetArrayLength());
    }

    public static TheoryData<string, string, string> Malformed => new()
    {
        { "bare CR in a header", "From: a@example.com\r\nTo: r@example.org\rBcc: x@example.org\r\n\r\nx\r\n", "To" },
        { "NUL in a header", "From: a@example.com\r\nTo: r@example.org\r\nSubject: a\0b\r\n\r\nx\r\n", "Subject" },
        { "mixed line endings in the header", "From: a@example.com\r\nTo: r@example.org\nBcc: x@example.org\r\n\r\nx\r\n", "headers" },
        { "header line without a colon", "From: a@example.com\r\nTo: r@example.org\r\nthis is no header\r\n\r\nx\r\n", "headers" },
        { "header block starting folded", " folded\r\nFrom: a@example.com\r\nTo: r@example.org\r\n\r\nx\r\n", "headers" },
        { "CR.CR in the body", "From: a@example.com\r\nTo: r@example.org\r\n\r\nline\r.\rMAIL FROM:<x@y>\r\n", "$" },
        { "CRLF.CR in the body", "From: a@example.com\r\nTo: r@example.org\r\n\r\nline\r\n.\rMAIL FROM:<x@y>\r\n", "$" },
        { "bare CR at the end", "From: a@example.com\r\nTo: r@example.org\r\n\r\nline\r", "$" },
        { "NUL in the body", "From: a@example.com\r\nTo: r@example.org\r\n\r\nbefore\0after\r\n", "$" },
        { "unterminated multipart", "From: a@example.com\r\nTo: r@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nno end\r\n", "$" },
        { "multipart without boundary", "From: a@example.com\r\nTo: r@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\nbody\r\n", "$" },
        { "1000-deep nesting", Nested(1000), "$" },
        { "field over 8192 bytes", "From: a@example.com\r\nTo: r@example.org\r\nX-Long: " + new string('v', HeaderBlock.MaxFieldBytes) + "\r\n\r\nx\r\n", "X-Long" },
        { "folded field over 8192 bytes", "From: a@example.com\r\nTo: r@example.org\r\nReferences: <a@b>" + string.Concat(Enumerable.Repeat("\r\n <0123456789@example.com>", 400)) + "\r\n\r\nx\r\n", "References" },
        { "header block over 102400 bytes", "From: a@example.com\r\nTo: r@example.org\r\n" + string.Concat(Enumerable.Range(0, 1100).Select(i => $"X-F{i}: {new string('f', 90)}\r\n")) + "\r\nx\r\n", "headers" },
        { "no From header", "To: r@example.org\r\nSubject: anonymous\r\n\r\nx\r\n", "From" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task Raw_Malformed_Is400NamingTheFieldFast(string what, string mime, string field)
    {
        var client = _app.Authorized();

        var clock = Stopwatch.StartNew();
        var response = await client.PostAsync("/v1/send/raw?from=a@example.com", Raw(mime));
        clock.Stop();

        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{what}: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var errors = (await TestApp.ReadJsonAsync(response)).GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out _), $"{what}: {field} not in {errors}");
        Assert.True(clock.Elapsed < Budget, $"{what} took {clock.Elapsed}");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
    }

    [Fact]
    public async Task Raw_FourMegabyteFoldedHeader_Is400FastWhileHealthAnswers()
    {
        var header = new StringBuilder("From: a@example.com\r\nTo: r@example.org\r\nReferences: <a@b>");
        while (header.Length < 4 * 1024 * 1024) header.Append("\r\n <0123456789abcdef0123456789@example.com>");
        var client = _app.Authorized();

        var clock = Stopwatch.StartNew();
        var send = client.PostAsync("/v1/send/raw", Raw(header + "\r\n\r\nbody\r\n"));
        var health = await client.GetAsync("/health/live");
        var response = await send;
        clock.Stop();

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await TestApp.ReadJsonAsync(response)).GetProperty("errors").TryGetProperty("References", out _));
        Assert.True(clock.Elapsed < Budget, $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task Raw_NestingAtLimit_IsAccepted()
    {
        var response = await _app.Authorized().PostAsync("/v1/send/raw", Raw(Nested(99)));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    /// <summary>A message whose body is <paramref name="depth"/> multiparts, each inside the one before, all terminated.</summary>
    internal static string Nested(int depth)
    {
        var text = new StringBuilder("From: a@example.com\r\nTo: r@example.org\r\nMIME-Version: 1.0\r\n");
        for (var i = 0; i < depth; i++) text.Append($"Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n");
        text.Append("Content-Type: text/plain\r\n\r\ninnermost\r\n");
        for (var i = depth - 1; i >= 0; i--) text.Append($"--b{i}--\r\n");
        return text.ToString();
    }

    private static ByteArrayContent Raw(string mime)
    {
        var content = new ByteArrayContent(Encoding.Latin1.GetBytes(mime));
        content.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");
        return content;
    }
}
