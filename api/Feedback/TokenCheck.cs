namespace EmailApi.Feedback;

/// <summary>The result of reading a token from an inbound address; only <see cref="Valid"/> may change anything.</summary>
public abstract record TokenCheck
{
    private TokenCheck() { }

    public sealed record Valid(ReturnPathToken Token) : TokenCheck;

    /// <summary>Not a token this relay could have made (wrong length or alphabet, no token at all).</summary>
    public sealed record Malformed : TokenCheck;

    /// <summary>Well formed, but the HMAC does not match: made up, altered, or made with another key.</summary>
    public sealed record Forged : TokenCheck;
}
