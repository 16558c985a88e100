using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using MimeKit.Utils;

namespace EmailApi.SmtpBridge.Messages;

/// <summary>
/// The header lines the bridge puts in front of the client's bytes: a Received trace header
/// (RFC 5321 §4.4), and Message-ID, Date and From when the message lacks them (RFC 5322 §3.6, as a
/// submission server may add them, RFC 6409 §8). The client's own bytes stay untouched, so a
/// signature it added still verifies.
/// </summary>
internal static partial class TraceHeaders
{
    /// <param name="mailFrom">The envelope sender, written as the From header when the message has none (RFC 6409 §8.6).</param>
    public static byte[] Build(TraceInfo trace, HeaderSummary headers, string mailFrom)
    {
        var date = DateUtils.FormatDate(trace.ReceivedAt);
        var text = new StringBuilder(320)
            .Append("Received: from ").Append(HeloText(trace.HeloName)).Append(" (").Append(Literal(trace.Client)).Append(")\r\n")
            .Append("\tby ").Append(Clean(trace.ServerName)).Append(" (EmailApi) with ").Append(Protocol(trace)).Append(" id ").Append(trace.MessageId);
        if (trace.Tls is not null) text.Append("\r\n\t(using ").Append(trace.Tls).Append(')');
        text.Append(";\r\n\t").Append(date).Append("\r\n");
        if (!headers.HasMessageId) text.Append("Message-ID: <").Append(trace.MessageId).Append('@').Append(Clean(trace.ServerName)).Append(">\r\n");
        if (!headers.HasDate) text.Append("Date: ").Append(date).Append("\r\n");
        if (string.IsNullOrWhiteSpace(headers.From) && mailFrom.Length > 0) text.Append("From: <").Append(mailFrom).Append(">\r\n");
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    /// <summary>RFC 3848 and RFC 6531 §3.7.3: ESMTP, ESMTPS, ESMTPA, ESMTPSA and their UTF8SMTP forms; SMTP after HELO.</summary>
    internal static string Protocol(TraceInfo trace) =>
        !trace.Extended ? "SMTP" : (trace.Utf8 ? "UTF8SMTP" : "ESMTP") + (trace.Tls is null ? "" : "S") + (trace.Authenticated ? "A" : "");

    private static string HeloText(string? helo)
    {
        if (string.IsNullOrEmpty(helo)) return "unknown";
        if (IPAddress.TryParse(helo.Trim('[', ']'), out var address)) return Literal(address);
        return HeloName().IsMatch(helo) ? helo : "unknown";
    }

    private static string Literal(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        return address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[IPv6:{address}]" : $"[{address}]";
    }

    private static string Clean(string name) => HeloName().IsMatch(name) ? name : "localhost";

    [GeneratedRegex(@"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,252})$")]
    private static partial Regex HeloName();
}
