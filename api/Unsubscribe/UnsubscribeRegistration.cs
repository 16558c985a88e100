namespace EmailApi.Unsubscribe;

public static class UnsubscribeRegistration
{
    public static IServiceCollection AddUnsubscribe(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<PublicUrlOptions>(configuration.GetSection(PublicUrlOptions.Section));
        services.AddSingleton<UnsubscribeService>();
        services.AddUnsubscribeRateLimit();
        return services;
    }
}
