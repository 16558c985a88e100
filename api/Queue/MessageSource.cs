namespace EmailApi.Queue;

public enum MessageSource
{
    Api,
    Smtp,
}
