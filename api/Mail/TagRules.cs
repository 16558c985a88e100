namespace EmailApi.Mail;

/// <summary>How many tags a message may carry and how long each may be: the same bounds for a message's tags and an account's unsubscribe tags.</summary>
public static class TagRules
{
    public const int MaxTags = 20;
    public const int MaxTagLength = 128;
}
