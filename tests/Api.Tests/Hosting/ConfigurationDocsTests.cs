using System.ComponentModel;
using System.Reflection;
using System.Text.RegularExpressions;
using EmailApi.Hosting;

namespace EmailApi.Tests.Hosting;

/// <summary>
/// docs/configuration.md cannot drift from the code (issue 18, point 6): every key the options
/// classes bind is documented, and every documented key exists. A dictionary's key is written as a
/// placeholder in the docs (<c>Dkim:Domains:&lt;domain&gt;:Selector</c>); a list is documented by its own key.
/// </summary>
public sealed class ConfigurationDocsTests
{
    // Keys read straight from configuration rather than bound to an options class.
    private static readonly string[] ReadDirectly = ["Urls", "Roles", "Inbound:HostName", EmailApi.Mail.RelayHostOptions.OlderKey];
    // Bound properties the host sets itself, not configuration for users: the inbound listener's
    // copy of the SMTP options, and the domains' copy of Inbound:HostName.
    private static readonly string[] SetByHost = ["Smtp:Inbound", "Domains:InboundHostName"];
    // ASP.NET Core's own keys the docs explain (logging in JSON, Kestrel certificates).
    private static readonly Regex Framework = new(@"^(Logging|Kestrel|AllowedHosts)(:|$)");

    [Fact]
    public void ConfigurationDocs_ListEveryBoundKey_AndNoOther()
    {
        var bound = SettingsCheck.Bound.SelectMany(s => Keys(s.Options, s.Name)).Except(SetByHost, StringComparer.OrdinalIgnoreCase).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var documented = Documented().ToHashSet(StringComparer.OrdinalIgnoreCase);

        var wrong = bound.Where(k => !documented.Contains(k)).Order().Select(k => $"not documented: {k}")
            .Concat(documented.Where(k => !bound.Contains(k) && !ReadDirectly.Contains(k, StringComparer.OrdinalIgnoreCase) && !Framework.IsMatch(k))
                .Order().Select(k => $"documented but not a setting: {k}"))
            .ToArray();
        Assert.True(wrong.Length == 0, string.Join("\n", wrong));
    }

    [Fact]
    public void ConfigurationDocs_ListEachKeyOnce()
    {
        var repeated = Documented().GroupBy(k => k, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1).Select(g => g.Key);
        Assert.True(!repeated.Any(), "documented twice: " + string.Join(", ", repeated));
    }

    /// <summary>The first column of every table row in docs/configuration.md, placeholders as <c>*</c>.</summary>
    private static IEnumerable<string> Documented() =>
        File.ReadLines(Path.Combine(RepositoryRoot(), "docs", "configuration.md"))
            .Where(line => line.StartsWith("| `"))
            .SelectMany(line => CellKeys(line.Split('|')[1]))
            .Select(key => Regex.Replace(key, "<[^>]+>", "*"));

    /// <summary>The keys of one cell: <c>`Smtp:CommandTimeout` / `IdleTimeout`</c> names Smtp:CommandTimeout and Smtp:IdleTimeout.</summary>
    private static IEnumerable<string> CellKeys(string cell)
    {
        var keys = Regex.Matches(cell, "`([A-Za-z][^`]*)`").Select(m => m.Groups[1].Value).ToArray();
        var prefix = keys.Length > 0 && keys[0].Contains(':') ? keys[0][..(keys[0].LastIndexOf(':') + 1)] : "";
        return keys.Select((key, i) => i > 0 && !key.Contains(':') ? prefix + key : key);
    }

    /// <summary>The configuration keys <paramref name="type"/> binds under <paramref name="prefix"/>, as the binder reads them.</summary>
    private static IEnumerable<string> Keys(Type type, string prefix)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0) continue;
            var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            var key = $"{prefix}:{property.Name}";
            if (Dictionary(propertyType) is { } value)
            {
                if (IsLeaf(value)) yield return key + ":*";
                else foreach (var inner in Keys(value, key + ":*")) yield return inner;
            }
            else if (IsLeaf(propertyType) || IsList(propertyType))
            {
                if (property.SetMethod is { IsPublic: true }) yield return key;   // a computed view (get only) is not a setting
            }
            else if (propertyType.IsClass)
            {
                foreach (var inner in Keys(propertyType, key)) yield return inner;
            }
        }
    }

    private static bool IsLeaf(Type type) =>
        type == typeof(string) || type.IsPrimitive || type.IsEnum || type == typeof(decimal) || type == typeof(Uri)
        || TypeDescriptor.GetConverter(type).CanConvertFrom(typeof(string));

    private static bool IsList(Type type) => type.IsArray
        || type.GetInterfaces().Append(type).Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>)) && type != typeof(string) && Dictionary(type) is null;

    private static Type? Dictionary(Type type) =>
        type.GetInterfaces().Append(type)
            .FirstOrDefault(i => i.IsGenericType && (i.GetGenericTypeDefinition() == typeof(IDictionary<,>) || i.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>)))
            ?.GetGenericArguments()[1];

    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "EmailApi.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("EmailApi.sln not found above " + AppContext.BaseDirectory);
    }
}
