namespace EmailApi.Queue;

public static class MessageSourceNames
{
    public static string ToDb(this MessageSource source) => source.ToString().ToLowerInvariant();

    public static MessageSource FromDb(string text) => text switch
    {
        "smtp" => MessageSource.Smtp,
        "dsn" => MessageSource.Dsn,
        _ => MessageSource.Api,
    };
}
