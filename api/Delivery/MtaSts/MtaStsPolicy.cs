using System.Globalization;

namespace EmailApi.Delivery.MtaSts;

/// <summary>
/// A parsed MTA-STS policy (RFC 8461 §3.2): its mode, the MX patterns it allows and how long it may
/// be cached. <see cref="Id"/> is the <c>id</c> of the <c>_mta-sts</c> TXT record it was fetched under,
/// which is how a changed policy is noticed (§3.1).
/// </summary>
public sealed record MtaStsPolicy(MtaStsMode Mode, IReadOnlyList<string> Mx, TimeSpan MaxAge, string Id)
{
    // RFC 8461 §3.2: max_age is at most 31557600 seconds (about one year).
    public static readonly TimeSpan MaxMaxAge = TimeSpan.FromSeconds(31557600);

    /// <summary>The policy file's lines as fetched: RFC 8460 §4.4's <c>policy-string</c>.</summary>
    public IReadOnlyList<string> Lines { get; init; } = [];

    /// <summary>The policy file's text, parsed; anything not a valid STSv1 policy is <see cref="MtaStsParse.Invalid"/>.</summary>
    public static MtaStsParse Parse(string text, string id)
    {
        string? version = null, mode = null, maxAge = null;
        var mx = new List<string>();
        // §3.2: lines end in CRLF or LF; "key: value" with optional whitespace; unknown keys are ignored.
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.TrimEnd('\r');
            if (line.Trim().Length == 0) continue;
            var colon = line.IndexOf(':');
            if (colon <= 0) return new MtaStsParse.Invalid($"line '{line}' is not 'key: value'");
            var key = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            switch (key)
            {
                case "version": version ??= value; break;
                case "mode": mode ??= value; break;
                case "max_age": maxAge ??= value; break;
                case "mx": mx.Add(value.ToLowerInvariant().TrimEnd('.')); break;
            }
        }
        if (version != "STSv1") return new MtaStsParse.Invalid($"version is '{version}', not STSv1");
        MtaStsMode parsedMode;
        switch (mode)
        {
            case "enforce": parsedMode = MtaStsMode.Enforce; break;
            case "testing": parsedMode = MtaStsMode.Testing; break;
            case "none": parsedMode = MtaStsMode.None; break;
            default: return new MtaStsParse.Invalid($"mode '{mode}' is not enforce, testing or none");
        }
        // §3.2: max_age is a plain decimal of at most 10 digits, capped at one year.
        if (maxAge is null || maxAge.Length is 0 or > 10 || !maxAge.All(char.IsAsciiDigit)
            || !long.TryParse(maxAge, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > MaxMaxAge.TotalSeconds)
            return new MtaStsParse.Invalid($"max_age '{maxAge}' is not a number of seconds up to {MaxMaxAge.TotalSeconds}");
        if (parsedMode != MtaStsMode.None && mx.Count == 0) return new MtaStsParse.Invalid("no mx pattern");
        foreach (var pattern in mx)
        {
            var name = pattern.StartsWith("*.", StringComparison.Ordinal) ? pattern[2..] : pattern;
            if (name.Length == 0 || name.Contains('*') || name.Split('.').Any(label => label.Length == 0))
                return new MtaStsParse.Invalid($"mx pattern '{pattern}' is not a host name or *.name");
        }
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0).ToArray();
        return new MtaStsParse.Valid(new MtaStsPolicy(parsedMode, mx, TimeSpan.FromSeconds(seconds), id) { Lines = lines });
    }

    /// <summary>
    /// RFC 8461 §4.1: an MX host matches a pattern when equal to it, or when the pattern is
    /// <c>*.</c> followed by a name and the host is exactly one label under that name.
    /// </summary>
    public bool Matches(string mxHost)
    {
        var host = mxHost.ToLowerInvariant().TrimEnd('.');
        foreach (var pattern in Mx)
        {
            if (!pattern.StartsWith("*.", StringComparison.Ordinal))
            {
                if (host == pattern) return true;
                continue;
            }
            var dot = host.IndexOf('.');
            if (dot > 0 && host[(dot + 1)..] == pattern[2..]) return true;
        }
        return false;
    }
}
