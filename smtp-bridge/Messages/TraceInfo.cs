using System.Net;

namespace EmailApi.SmtpBridge.Messages;

/// <summary>What the Received header records about how a message arrived.</summary>
internal sealed record TraceInfo(
    string MessageId,
    string? HeloName,
    IPAddress Client,
    string ServerName,
    bool Extended,
    bool Utf8,
    bool Authenticated,
    string? Tls,
    DateTimeOffset ReceivedAt);
