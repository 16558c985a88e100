using System.Net;
using EmailApi.Mail;
using EmailApi.Storage;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.Options;

namespace EmailApi.Domains;

public static class DomainsRegistration
{
    /// <param name="sender">This node runs the sender role: it rechecks domains in the background.</param>
    public static WebApplicationBuilder AddDomains(this WebApplicationBuilder builder, bool sender)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        services.AddOptions<DomainsOptions>()
            .Bind(configuration.GetSection(DomainsOptions.Section))
            .Configure(o => o.InboundHostName ??= configuration["Inbound:HostName"]);   // validated with the others: Hosting/SettingsValidators

        // DKIM private keys are sealed with Data Protection. Its key ring sits beside the SQLite file,
        // or in the shared database when nodes share PostgreSQL (so every node can sign).
        var dataProtection = services.AddDataProtection().SetApplicationName("EmailApi");
        if (StorageOptions.From(configuration).UsesPostgres)
            services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp =>
                new ConfigureOptions<KeyManagementOptions>(o => o.XmlRepository = new DatabaseXmlRepository(sp.GetRequiredService<PostgresDb>(), sp.GetRequiredService<TimeProvider>())));
        else
        {
            var path = configuration[$"{StorageOptions.Section}:Sqlite:Path"] ?? new StorageOptions().Sqlite.Path;
            var folder = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", "data-protection-keys");
            dataProtection.PersistKeysToFileSystem(new DirectoryInfo(folder));
        }

        services.AddSingleton<DkimKeyFactory>();
        services.AddSingleton<DomainRecords>();
        services.AddSingleton<DnsLookup>();
        services.AddSingleton<SpfEvaluator>();
        services.AddSingleton<RecordChecker>();
        services.AddSingleton<DomainSigningKeys>();
        services.AddSingleton<DomainVerifier>();
        services.AddSingleton<HeloCheck>();
        services.AddHostedService<HeloNameWarning>();
        if (sender)
        {
            services.AddSingleton<DomainRecheckWorker>();
            services.AddHostedService(sp => sp.GetRequiredService<DomainRecheckWorker>());
        }
        return builder;
    }
}

/// <summary>Says at start when the EHLO name is not fully qualified (RFC 5321 §4.1.1.1): receivers refuse or score such mail down.</summary>
public sealed class HeloNameWarning(IOptions<RelayHostOptions> relayHost, ILogger<HeloNameWarning> log) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var name = relayHost.Value.HostName;
        if (!HeloCheck.IsFullyQualified(name))
            log.LogWarning("Relay:HostName '{HeloName}' is not a fully qualified domain name; set it to the relay's public host name " +
                           "(with forward and reverse DNS pointing to Delivery:PublicAddresses). GET /v1/deliverability checks it.", name);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
