using System.Globalization;
using EmailApi.Mail;

namespace EmailApi.Domains;

/// <summary>
/// A sending domain's name as stored (the lower-case A-label, IDNA2008 via <see cref="IdnMapping"/>)
/// and as shown (the U-label). Refuses what cannot be a mail domain: one label, a numeric TLD,
/// labels over 63 octets, a name over 253, address literals.
/// </summary>
public static class DomainName
{
    private static readonly IdnMapping Idn = new() { AllowUnassigned = false, UseStd3AsciiRules = true };

    public static string? Normalize(string? input)
    {
        if (string.IsNullOrWhiteSpace(input)) return null;
        var trimmed = input.Trim().TrimEnd('.');
        if (trimmed.Length == 0 || trimmed.Contains('@') || trimmed.Contains('[') || !AddressRules.IsValidDomain(trimmed)) return null;
        try
        {
            return Idn.GetAscii(trimmed).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    public static string Unicode(string ascii)
    {
        try
        {
            return Idn.GetUnicode(ascii);
        }
        catch (ArgumentException)
        {
            return ascii;
        }
    }

    /// <summary>True when <paramref name="candidate"/> is <paramref name="domain"/> or one of its subdomains (both A-labels).</summary>
    public static bool IsSameOrParent(string domain, string candidate) =>
        candidate.Equals(domain, StringComparison.OrdinalIgnoreCase)
        || candidate.EndsWith("." + domain, StringComparison.OrdinalIgnoreCase);
}
