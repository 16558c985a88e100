namespace EmailApi.SmtpBridge;

/// <summary>Why a message was refused for good; each maps to its RFC 3463 code.</summary>
public enum RejectReason
{
    TooLarge,
    TooManyRecipients,
    NoRecipients,
    Content,

    /// <summary>Too many Received fields: the message is going round in a loop (RFC 5321 §6.3; 554 5.4.6 like Postfix).</summary>
    MailLoop,
    Policy,
}
