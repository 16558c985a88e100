namespace EmailApi.SmtpBridge.Protocol;

/// <summary>What the transport saw of a message body that the message store cannot see for itself.</summary>
internal enum DataVerdict
{
    None,
    /// <summary>Over the size limit: the rest was read and discarded, so the session goes on after the 552.</summary>
    Oversized,
    /// <summary>The body was just "." (the package would not see the end).</summary>
    Empty,
}
