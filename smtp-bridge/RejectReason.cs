namespace EmailApi.SmtpBridge;

/// <summary>Why a message was refused for good; each maps to its RFC 3463 code.</summary>
public enum RejectReason
{
    TooLarge,
    TooManyRecipients,
    NoRecipients,
    Content,
    Policy,
}
