using EmailApi.Delivery;
using EmailApi.Mail;
using EmailApi.Sending;
using EmailApi.SmtpBridge;
using EmailApi.Storage;
using Microsoft.Extensions.Options;

namespace EmailApi.Hosting;

/// <summary>The <c>smtp</c> role: the SMTP bridge (smtp-bridge/) with this host's submission service behind its port.</summary>
public static class SmtpBridgeRegistration
{
    public static WebApplicationBuilder AddSmtpBridge(this WebApplicationBuilder builder, Roles roles)
    {
        if (!roles.Smtp) return builder;
        var services = builder.Services;
        services.AddOptions<SmtpOptions>()
            .Bind(builder.Configuration.GetSection(SmtpOptions.Section))
            .PostConfigure<IOptions<RelayHostOptions>, IOptions<SendingOptions>, IOptions<StorageOptions>>((smtp, relayHost, sending, storage) =>
            {
                // One name for the host everywhere: EHLO to MX hosts, Message-IDs, and the bridge's greeting.
                if (string.IsNullOrWhiteSpace(smtp.ServerName)) smtp.ServerName = relayHost.Value.HostName;
                if (string.IsNullOrWhiteSpace(smtp.DataDirectory))
                    smtp.DataDirectory = Path.GetDirectoryName(Path.GetFullPath(storage.Value.Sqlite.Path));
                // The bridge refuses early (SIZE, 452 to RCPT) what the submission service would refuse at the end.
                smtp.MaxRecipients = Math.Min(smtp.MaxRecipients, sending.Value.MaxRecipients);
                smtp.MaxMessageBytes = (int)Math.Min(smtp.MaxMessageBytes, sending.Value.MaxMessageBytes);
            });
        services.AddSingleton<ISubmissionPort, SmtpSubmissionPort>();
        services.AddSingleton<SmtpBridgeHost>();
        services.AddHostedService(sp => sp.GetRequiredService<SmtpBridgeHost>());
        return builder;
    }
}
