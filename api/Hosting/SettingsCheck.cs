using System.Text.RegularExpressions;
using EmailApi.Accounts;
using EmailApi.Delivery;
using EmailApi.Domains;
using EmailApi.Queue;
using EmailApi.Events;
using EmailApi.Retention;
using EmailApi.Sending;
using EmailApi.SmtpBridge;
using EmailApi.Storage;
using Microsoft.Extensions.Options;

namespace EmailApi.Hosting;

/// <summary>
/// Checks every configuration section before the host is built, so a bad setting stops the start
/// before anything is written (no database file, no first account whose key would be printed to a
/// start that then fails). Each problem is one line naming the key; values that do not even
/// convert (<c>Delivery:MaxConcurrency=abc</c>) are reported the same way, not as a stack trace.
/// The same rules run again as options validation on start (<see cref="AddSettingsValidation"/>).
/// </summary>
public static partial class SettingsCheck
{
    private static readonly Section[] Sections =
    [
        Of<StorageOptions>(StorageOptions.Section, SettingsValidators.Storage),
        Of<DeliveryOptions>(DeliveryOptions.Section, SettingsValidators.Delivery),
        Of<HopLimitOptions>(DeliveryOptions.Section, SettingsValidators.HopLimit),
        Of<DomainsOptions>(DomainsOptions.Section, SettingsValidators.Domains),
        Of<SendingOptions>(SendingOptions.Section, SettingsValidators.Sending),
        Of<DkimOptions>(DkimOptions.Section, SettingsValidators.Dkim),
        Of<SmtpOptions>(SmtpOptions.Section, SettingsValidators.Smtp),
        Of<Feedback.InboundOptions>(Feedback.InboundOptions.Section, SettingsValidators.Inbound),
        Of<WebhookOptions>(WebhookOptions.Section, SettingsValidators.Webhooks),
        Of<RetentionOptions>(RetentionOptions.Section, SettingsValidators.Retention),
        Of<AccountsOptions>(AccountsOptions.Section, SettingsValidators.Accounts),
        Of<BootstrapOptions>(BootstrapOptions.Section, SettingsValidators.Bootstrap),
        Of<HealthOptions>(HealthOptions.Section, SettingsValidators.Health),
    ];

    /// <summary>Every problem with the configuration, one line each; empty when it can run.</summary>
    public static IReadOnlyList<string> Run(IConfiguration configuration)
    {
        var problems = new List<string>();
        try
        {
            Roles.From(configuration);
        }
        catch (InvalidOperationException)
        {
            problems.Add($"Roles must be a comma-separated list of api, smtp, mx, sender (was {configuration["Roles"]})");
        }
        foreach (var section in Sections) problems.AddRange(section.Check(configuration));
        return problems;
    }

    /// <summary>Throws <see cref="SettingsException"/> with every problem, if there is any.</summary>
    public static void ThrowIfInvalid(IConfiguration configuration)
    {
        var problems = Run(configuration);
        if (problems.Count > 0) throw new SettingsException(problems);
    }

    /// <summary>Registers the same rules as options validation, checked when the host starts.</summary>
    public static IServiceCollection AddSettingsValidation(this IServiceCollection services, IConfiguration configuration)
    {
        foreach (var section in Sections) section.Register(services, configuration);
        return services;
    }

    private static Section Of<T>(string name, Func<T, IConfiguration, IReadOnlyList<string>> rules) where T : class, new() => new Section<T>(name, rules);

    private abstract record Section
    {
        public abstract IReadOnlyList<string> Check(IConfiguration configuration);
        public abstract void Register(IServiceCollection services, IConfiguration configuration);
    }

    private sealed record Section<T>(string Name, Func<T, IConfiguration, IReadOnlyList<string>> Rules) : Section where T : class, new()
    {
        public override IReadOnlyList<string> Check(IConfiguration configuration)
        {
            // The binder stops at the first value it cannot convert; blank that key and bind again,
            // so one typo does not hide the section's other problems.
            var problems = new List<string>();
            var blanked = new Dictionary<string, string?>();
            var view = configuration;
            for (var attempt = 0; attempt < 100; attempt++)
            {
                var options = new T();
                try
                {
                    view.GetSection(Name).Bind(options);
                }
                catch (InvalidOperationException ex) when (ConversionFailure().Match(ex.Message) is { Success: true } failure)
                {
                    problems.Add(Describe(ex));
                    blanked[failure.Groups["key"].Value] = null;
                    view = new ConfigurationBuilder().AddConfiguration(configuration).AddInMemoryCollection(blanked).Build();
                    continue;
                }
                // A blanked key binds as its type's zero: its range check would only repeat the conversion failure.
                problems.AddRange(Rules(options, configuration).Where(p => !blanked.Keys.Any(k => p.StartsWith(k + " ", StringComparison.OrdinalIgnoreCase))));
                break;
            }
            return problems;
        }

        public override void Register(IServiceCollection services, IConfiguration configuration)
        {
            services.AddSingleton<IValidateOptions<T>>(new SectionValidator<T>(Rules, configuration));
            services.AddOptions<T>().ValidateOnStart();
        }
    }

    /// <summary>The binder's "Failed to convert configuration value 'x' at 'A:B' to type 'System.Int32'." as one plain line.</summary>
    private static string Describe(InvalidOperationException ex)
    {
        var message = ex.Message;
        var match = ConversionFailure().Match(message);
        if (!match.Success) return message;
        var (value, key, type) = (match.Groups["value"].Value, match.Groups["key"].Value, match.Groups["type"].Value);
        var targetType = Type.GetType(type) ?? AppDomain.CurrentDomain.GetAssemblies().Select(a => a.GetType(type)).FirstOrDefault(t => t is not null);
        if (targetType is not null && Nullable.GetUnderlyingType(targetType) is { } inner) targetType = inner;
        var expected = targetType switch
        {
            { IsEnum: true } e => "one of " + string.Join(", ", Enum.GetNames(e)),
            var t when t == typeof(int) || t == typeof(long) => "a whole number",
            var t when t == typeof(bool) => "true or false",
            var t when t == typeof(TimeSpan) => "a duration such as 00:00:30",
            _ => $"a value of type {targetType?.Name ?? type}",
        };
        return $"{key} must be {expected} (was {value})";
    }

    [GeneratedRegex(@"^Failed to convert configuration value '(?<value>.*)' at '(?<key>[^']*)' to type '(?<type>[^']*)'", RegexOptions.Singleline)]
    private static partial Regex ConversionFailure();
}
