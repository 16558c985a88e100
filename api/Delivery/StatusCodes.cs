using System.Text.RegularExpressions;

namespace EmailApi.Delivery;

/// <summary>Reads the codes out of an SMTP reply text such as <c>550 5.1.1 No such user</c>.</summary>
public static partial class SmtpReplyCodes
{
    [GeneratedRegex(@"^\s*(?:(?<code>[2-5]\d\d)[ -])?\s*(?<enhanced>[245]\.\d{1,3}\.\d{1,3})?")]
    private static partial Regex ReplyPattern();

    public static int? Code(string reply) =>
        ReplyPattern().Match(reply) is { Success: true } m && m.Groups["code"].Success ? int.Parse(m.Groups["code"].Value) : null;

    /// <summary>The RFC 3463 status, from the reply or, when it has none, from its basic code class.</summary>
    public static string Enhanced(string reply, bool permanent)
    {
        var match = ReplyPattern().Match(reply);
        if (match.Groups["enhanced"].Success) return match.Groups["enhanced"].Value;
        return permanent ? "5.0.0" : "4.0.0";
    }

    /// <summary>
    /// Whether a permanent failure says the address itself is bad (RFC 3463 class X.1.X, or a bare
    /// 550/551/553), so later mail to it should be suppressed. Policy refusals (5.7.x, spam) are not.
    /// </summary>
    public static bool IsBadAddress(string reply)
    {
        var match = ReplyPattern().Match(reply);
        if (match.Groups["enhanced"].Success) return match.Groups["enhanced"].Value.StartsWith("5.1.", StringComparison.Ordinal);
        return Code(reply) is 550 or 551 or 553;
    }
}
