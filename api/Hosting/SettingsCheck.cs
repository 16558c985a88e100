using System.ComponentModel;
using System.Reflection;
using EmailApi.Accounts;
using EmailApi.Delivery;
using EmailApi.Domains;
using EmailApi.Events;
using EmailApi.Mail;
using EmailApi.Queue;
using EmailApi.Retention;
using EmailApi.Sending;
using EmailApi.SmtpBridge;
using EmailApi.Storage;
using EmailApi.Unsubscribe;
using Microsoft.Extensions.Options;

namespace EmailApi.Hosting;

/// <summary>
/// Checks every configuration section before the host is built, so a bad setting stops the start
/// before anything is written (no database file, no first account whose key would be printed to a
/// start that then fails). Each problem is one line naming the key; values that do not even
/// convert (<c>Delivery:MaxConcurrency=abc</c>) are reported the same way, not as a stack trace.
/// The same rules run again as options validation on start (<see cref="AddSettingsValidation"/>).
/// </summary>
public static class SettingsCheck
{
    private static readonly Section[] Sections =
    [
        Of<StorageOptions>(StorageOptions.Section, SettingsValidators.Storage),
        Of<RelayHostOptions>(RelayHostOptions.Section, SettingsValidators.RelayHost),
        Of<DeliveryOptions>(DeliveryOptions.Section, SettingsValidators.Delivery),
        Of<HopLimitOptions>(DeliveryOptions.Section, SettingsValidators.HopLimit),
        Of<BounceNotificationOptions>(DeliveryOptions.Section, (_, _) => []),
        Of<Delivery.MtaSts.MtaStsOptions>(Delivery.MtaSts.MtaStsOptions.Section, SettingsValidators.MtaSts),
        Of<TlsReports.TlsReportOptions>(TlsReports.TlsReportOptions.Section, SettingsValidators.TlsReports),
        Of<DomainsOptions>(DomainsOptions.Section, SettingsValidators.Domains),
        Of<SendingOptions>(SendingOptions.Section, SettingsValidators.Sending),
        Of<PublicUrlOptions>(PublicUrlOptions.Section, SettingsValidators.PublicUrl),
        Of<DkimOptions>(DkimOptions.Section, SettingsValidators.Dkim),
        Of<SmtpOptions>(SmtpOptions.Section, SettingsValidators.Smtp),
        Of<Feedback.InboundOptions>(Feedback.InboundOptions.Section, SettingsValidators.Inbound),
        Of<WebhookOptions>(WebhookOptions.Section, SettingsValidators.Webhooks),
        Of<RetentionOptions>(RetentionOptions.Section, SettingsValidators.Retention),
        Of<AccountsOptions>(AccountsOptions.Section, SettingsValidators.Accounts),
        Of<BootstrapOptions>(BootstrapOptions.Section, SettingsValidators.Bootstrap),
        Of<HealthOptions>(HealthOptions.Section, SettingsValidators.Health),
        Of<Compat.CompatOptions>(Compat.CompatOptions.Section, SettingsValidators.Compat),
        Of<WebConsole.ConsoleOptions>(WebConsole.ConsoleOptions.Section, SettingsValidators.Console),
    ];

    /// <summary>Each checked section and the options class bound to it (docs/configuration.md is held to these by a test).</summary>
    internal static IEnumerable<(string Name, Type Options)> Bound => Sections.Select(s => s.Bound);

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
        public abstract (string Name, Type Options) Bound { get; }
    }

    private sealed record Section<T>(string Name, Func<T, IConfiguration, IReadOnlyList<string>> Rules) : Section where T : class, new()
    {
        public override (string Name, Type Options) Bound => (Name, typeof(T));

        public override IReadOnlyList<string> Check(IConfiguration configuration)
        {
            // Values that do not convert to their property's type are found first, by the same
            // converters the binder uses, and blanked; the rules then judge what did bind, so one
            // typo neither hides the section's other problems nor is reported twice.
            var problems = new List<string>();
            var blanked = new Dictionary<string, string?>();
            Unconvertible(typeof(T), configuration.GetSection(Name), problems, blanked);
            var view = blanked.Count == 0 ? configuration
                : new ConfigurationBuilder().AddConfiguration(configuration).AddInMemoryCollection(blanked).Build();
            var options = new T();
            view.GetSection(Name).Bind(options);
            problems.AddRange(Rules(options, configuration).Where(p => !blanked.Keys.Any(k => p.StartsWith(k + " ", StringComparison.OrdinalIgnoreCase))));
            return problems;
        }

        public override void Register(IServiceCollection services, IConfiguration configuration)
        {
            services.AddSingleton<IValidateOptions<T>>(new SectionValidator<T>(Rules, configuration));
            services.AddOptions<T>().ValidateOnStart();
        }
    }

    /// <summary>Every value under <paramref name="section"/> that its target property's converter refuses, one line each.</summary>
    private static void Unconvertible(Type type, IConfigurationSection section, List<string> problems, Dictionary<string, string?> blanked)
    {
        foreach (var child in section.GetChildren())
        {
            if (TargetOf(type, child.Key) is not { } target) continue;   // a key the options do not have: the binder ignores it too
            if (child.Value is null)
            {
                Unconvertible(target, child, problems, blanked);
                continue;
            }
            var leaf = Nullable.GetUnderlyingType(target) ?? target;
            if (leaf == typeof(string) || leaf == typeof(object)) continue;
            var converter = TypeDescriptor.GetConverter(leaf);
            if (!converter.CanConvertFrom(typeof(string))) continue;
            try
            {
                converter.ConvertFromInvariantString(child.Value);
                continue;
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or NotSupportedException or OverflowException
                                       || ex.InnerException is FormatException or OverflowException)
            {
                problems.Add($"{child.Path} must be {Expected(leaf)} (was {child.Value})");
                blanked[child.Path] = null;
            }
        }
    }

    /// <summary>The type a configuration key binds to inside <paramref name="type"/>: a property, a dictionary's value or a list's item.</summary>
    /// <remarks>
    /// List items are left to the section's rules (<see cref="SettingRules.Durations"/>): the binder
    /// drops an item it cannot convert without a word, so nothing of theirs reaches the options.
    /// </remarks>
    private static Type? TargetOf(Type type, string key)
    {
        if (type.IsArray) return null;
        Type[] faces = type.IsInterface ? [type, .. type.GetInterfaces()] : type.GetInterfaces();
        foreach (var face in faces.Where(f => f.IsGenericType))
        {
            var definition = face.GetGenericTypeDefinition();
            if (definition == typeof(IDictionary<,>) || definition == typeof(IReadOnlyDictionary<,>)) return face.GetGenericArguments()[1];
        }
        if (faces.Any(f => f.IsGenericType && f.GetGenericTypeDefinition() == typeof(IEnumerable<>))) return null;
        return type.GetProperty(key, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase)?.PropertyType;
    }

    private static string Expected(Type type) => type switch
    {
        { IsEnum: true } e => "one of " + string.Join(", ", Enum.GetNames(e)),
        var t when t == typeof(int) || t == typeof(long) => "a whole number",
        var t when t == typeof(bool) => "true or false",
        var t when t == typeof(TimeSpan) => "a duration such as 00:00:30",
        var t => $"a value of type {t.Name}",
    };
}
