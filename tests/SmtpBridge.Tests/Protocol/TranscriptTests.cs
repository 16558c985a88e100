using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using EmailApi.Tests.TestSupport;

namespace EmailApi.Tests.Protocol;

/// <summary>
/// Whole dialogues against golden transcripts in Transcripts/*.txt (C:/S: lines; message ids
/// normalised). UPDATE_GOLDEN=1 rewrites them; review the diff.
/// </summary>
public sealed partial class TranscriptTests
{
    [Fact]
    public async Task Submission_FullSession_MatchesGolden()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var raw = await server.ConnectRawAsync();
        await raw.ReadReplyAsync();
        await raw.CommandAsync("MAIL FROM:<a@example.com>");
        await raw.CommandAsync("EHLO client.test");
        await raw.CommandAsync("DATA");
        await raw.CommandAsync("MAIL FROM:<a@example.com>");
        await raw.CommandAsync(Sessions.AuthPlain());
        await raw.CommandAsync("RCPT TO:<x@example.org>");
        await raw.CommandAsync("MAIL FROM:<a@example.com> SIZE=1000");
        await raw.CommandAsync("RCPT TO:<x@example.org>");
        await raw.CommandAsync("RCPT TO:<y@example.org>");
        await raw.CommandAsync("DATA");
        await raw.CommandAsync("From: a@example.com\r\nSubject: golden\r\n\r\nbody\r\n.");
        await raw.CommandAsync("RSET");
        await raw.CommandAsync("NOOP");
        await raw.CommandAsync("VRFY postmaster");
        await raw.CommandAsync("HELP");
        await raw.CommandAsync("QUIT");

        AssertGolden("submission", raw.Transcript);
    }

    [Fact]
    public async Task Unauthenticated_Session_MatchesGolden()
    {
        await using var server = await BridgeServer.StartAsync(o => o.PlaintextAuthNetworks = ["192.0.2.0/24"]);
        await using var raw = await server.ConnectRawAsync();
        await raw.ReadReplyAsync();
        await raw.CommandAsync("HELO client.test");
        await raw.CommandAsync("MAIL FROM:<a@example.com>");
        await raw.CommandAsync("EHLO client.test");
        await raw.CommandAsync(Sessions.AuthPlain());
        await raw.CommandAsync("AUTH PLAIN not-base64!");
        await raw.CommandAsync("PROXY TCP4 192.0.2.1 127.0.0.1 1234 25");
        await raw.CommandAsync("QUIT");

        AssertGolden("unauthenticated", raw.Transcript);
    }

    [Fact]
    public async Task MalformedArguments_AnsweredWithSyntaxErrors_MatchesGolden()
    {
        await using var server = await BridgeServer.StartAsync();
        await using (var raw = await server.LoggedInAsync())
        {
            await raw.CommandAsync("MAIL FROM:<a@example.com>");
            await raw.CommandAsync("RCPT TO:<bad@@x>");
            await raw.CommandAsync("RCPT TO:<x@example.org>");
            await raw.CommandAsync("RCPT TO:x@example.org");
            await raw.CommandAsync("RSET");
            await raw.CommandAsync("MAIL FROM:<a@@example.com>");
            await raw.CommandAsync("VRFY a@example.com");
            await raw.CommandAsync("MAIL FROM:<a@example.com> SMTPUTF8 SMTPUTF8");
            await raw.CommandAsync("MAIL FROM:<a@example.com> BODY=8BITMIME body=7BIT");
            await raw.CommandAsync("MAIL FROM:<josé@example.com>");
            await raw.CommandAsync("MAIL FROM:<josé@example.com> SMTPUTF8");
            await raw.CommandAsync("RCPT TO:<ünal@example.org>");
            await raw.CommandAsync("RSET");
            await raw.CommandAsync("MAIL FROM:<a@example.com>");
            await raw.CommandAsync("RCPT TO:<ünal@example.org>");
            await raw.CommandAsync("EHLO hé.test");
            await raw.CommandAsync("NOOP");
            await raw.CommandAsync("QUIT");
            AssertGolden("malformed-arguments", raw.Transcript);
        }

        await using (var raw = await server.ConnectRawAsync())
        {
            await raw.ReadReplyAsync();
            await raw.CommandAsync("EHLO client.test");
            await raw.CommandAsync("AUTH FOO");
            await raw.CommandAsync("AUTH LOGIN");
            await raw.CommandAsync("!!not base64!!");
            await raw.CommandAsync("AUTH LOGIN");
            await raw.CommandAsync("YXBpa2V5");
            await raw.CommandAsync("%%%");
            await raw.CommandAsync("AUTH PLAIN");
            await raw.CommandAsync("***");
            await raw.CommandAsync("NOOP");
            await raw.CommandAsync("AUTH LOGIN");
            await raw.CommandAsync("*");
            await raw.CommandAsync("NOOP");
            await raw.CommandAsync("QUIT");
            AssertGolden("malformed-auth", raw.Transcript);
        }
        Assert.Empty(server.Port.Submitted);
    }

    [Theory]
    [InlineData("EHLO ev\0il.test", "500 5.5.2 NUL character in command")]
    [InlineData("NO\0OP", "500 5.5.2 NUL character in command")]
    [InlineData("MAIL FROM:<a\0b@example.com>", "500 5.5.2 NUL character in command")]
    public async Task CommandWithNul_Answers500AndSessionGoesOn(string line, string expected)
    {
        await using var server = await BridgeServer.StartAsync();
        await using var raw = await server.LoggedInAsync();

        Assert.Equal(expected, await raw.CommandAsync(line));
        Assert.StartsWith("250", await raw.CommandAsync("NOOP"));
    }

    [Fact]
    public async Task PipelinedMalformedCommands_EachGetsItsOwnReply()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var raw = await server.LoggedInAsync();

        await raw.SendAsync("MAIL FROM:<a@example.com>\r\nVRFY x\r\nRCPT TO:<bad@@x>\r\nRCPT TO:<x@example.org>\r\nMAIL FROM:<b@@y>\r\nRSET\r\n"
            + "MAIL FROM:<a@example.com> SIZE=1 SIZE=2\r\nNOOP\r\n");

        string[] expected = ["250 2.1.0", "502 5.5.1", "501 5.1.3", "250 2.1.5", "501 5.1.7", "250 2.0.0", "501 5.5.4", "250 2.0.0"];
        foreach (var prefix in expected) Assert.StartsWith(prefix, await raw.ReadReplyAsync());
    }

    [Fact]
    public async Task CommandNotUtf8_Answers500AndSessionGoesOn()
    {
        await using var server = await BridgeServer.StartAsync();
        await using var raw = await server.LoggedInAsync();

        await raw.SendBytesAsync([.. "MAIL FROM:<"u8, 0xff, 0xfe, .. "@example.com> SMTPUTF8\r\n"u8]);

        Assert.Equal("500 5.5.2 Command is neither ASCII nor UTF-8", await raw.ReadReplyAsync());
        Assert.StartsWith("250", await raw.CommandAsync("NOOP"));
    }

    private static void AssertGolden(string name, IEnumerable<string> transcript, [CallerFilePath] string here = "")
    {
        var actual = string.Join("\n", transcript.Select(Normalise)) + "\n";
        var path = Path.Combine(Path.GetDirectoryName(here)!, "..", "Transcripts", name + ".txt");
        if (Environment.GetEnvironmentVariable("UPDATE_GOLDEN") == "1") File.WriteAllText(path, actual);
        Assert.True(File.Exists(path), $"No golden transcript {path}; run with UPDATE_GOLDEN=1 and review it.");
        Assert.Equal(File.ReadAllText(path).ReplaceLineEndings("\n"), actual);
    }

    private static string Normalise(string line) => Guid().Replace(line, "<id>");

    [GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")]
    private static partial Regex Guid();
}
