using System.Globalization;

namespace EmailApi.Mail;

/// <summary>
/// What counts as a mailbox we will send to: <c>local@domain</c> with a dot-atom local part
/// (RFC 5322 atext, plus UTF-8 for SMTPUTF8, RFC 6531) and a domain of at least two labels that
/// IDNA can encode. Quoted local parts and address literals are refused: they are almost always
/// mistakes in API input and many receivers refuse them anyway.
/// </summary>
public static class AddressRules
{
    private const string AText = "!#$%&'*+-/=?^_`{|}~";
    private static readonly IdnMapping Idn = new() { AllowUnassigned = false, UseStd3AsciiRules = true };

    public static bool IsValid(string? address)
    {
        if (string.IsNullOrEmpty(address) || address.Length > 254) return false;
        var at = address.LastIndexOf('@');
        if (at <= 0 || at == address.Length - 1) return false;
        return IsValidLocalPart(address[..at]) && IsValidDomain(address[(at + 1)..]);
    }

    public static bool IsValidLocalPart(string local)
    {
        if (local.Length is 0 or > 64 || local.StartsWith('.') || local.EndsWith('.') || local.Contains("..")) return false;
        foreach (var c in local)
        {
            if (c == '.' || char.IsAsciiLetterOrDigit(c) || AText.Contains(c)) continue;
            if (c > 127 && !char.IsControl(c) && !char.IsWhiteSpace(c)) continue;
            return false;
        }
        return true;
    }

    public static bool IsValidDomain(string domain)
    {
        try
        {
            var ascii = Idn.GetAscii(domain);
            if (ascii.Length > 253) return false;
            var labels = ascii.Split('.');
            return labels.Length >= 2 && labels.All(l => l.Length is > 0 and <= 63) && !labels[^1].All(char.IsAsciiDigit);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
