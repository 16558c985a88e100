namespace EmailApi.Queue;

public enum MessageSource
{
    Api,
    Smtp,

    /// <summary>A delivery status notification (bounce) this service generated, sent from the null sender.</summary>
    Dsn,
}
