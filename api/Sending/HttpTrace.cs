using System.Net;
using System.Net.Sockets;
using System.Text;
using EmailApi.Queue;
using MimeKit.Utils;

namespace EmailApi.Sending;

/// <summary>
/// Where an HTTP submission came from, for the Received trace header that mail submitted over HTTP
/// carries like mail submitted over SMTP (RFC 5321 §4.4: every server that accepts a message adds
/// one). The protocol is named HTTPA or HTTPSA after the ESMTPA/ESMTPSA pattern of RFC 3848: every
/// request on these routes is authenticated by an API key.
/// </summary>
internal sealed record HttpTrace(IPAddress? Client, bool Https)
{
    public static HttpTrace Of(HttpRequest http) => new(http.HttpContext.Connection.RemoteIpAddress, http.IsHttps);

    public string ReceivedHeader(MessageId id, string serverName, DateTimeOffset at) =>
        new StringBuilder(200)
            .Append("Received: from ").Append(Literal(Client)).Append("\r\n")
            .Append("\tby ").Append(serverName).Append(" (EmailApi) with ").Append(Https ? "HTTPSA" : "HTTPA").Append(" id ").Append(id)
            .Append(";\r\n\t").Append(DateUtils.FormatDate(at)).Append("\r\n")
            .ToString();

    private static string Literal(IPAddress? address)
    {
        if (address is null) return "unknown";   // an in-process client (tests) has no socket
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        return address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[IPv6:{address}]" : $"[{address}]";
    }
}
