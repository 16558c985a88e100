using System.Globalization;

namespace EmailApi.Hosting;

/// <summary>
/// Collects what is wrong with one configuration section, one line per problem, each naming the
/// full key the operator has to change and the value it had
/// (<c>Delivery:MaxConcurrency must be between 1 and 10000 (was 0)</c>).
/// </summary>
public sealed class SettingRules(string section)
{
    private readonly List<string> _problems = [];

    public IReadOnlyList<string> Problems => _problems;

    public string Key(string name) => $"{section}:{name}";

    public void Fail(string name, string problem) => _problems.Add($"{Key(name)} {problem}");

    /// <summary>A problem with a key of another section that this section's options read (<c>Inbound:HostName</c>).</summary>
    public void FailKey(string fullKey, string problem) => _problems.Add($"{fullKey} {problem}");

    public void Range(string name, long value, long min, long max)
    {
        if (value < min || value > max) Fail(name, $"must be between {min} and {max} (was {value})");
    }

    public void Range(string name, long? value, long min, long max)
    {
        if (value is { } v) Range(name, v, min, max);
    }

    public void Positive(string name, TimeSpan value, TimeSpan? max = null)
    {
        if (value <= TimeSpan.Zero) Fail(name, $"must be a positive duration such as 00:00:30 (was {value:c})");
        else if (max is { } limit && value > limit) Fail(name, $"must be at most {limit:c} (was {value:c})");
    }

    public void Required(string name, string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) Fail(name, "must be set");
    }

    public void FileExists(string name, string? path)
    {
        if (string.IsNullOrWhiteSpace(path)) return;
        if (!File.Exists(path)) Fail(name, $"names a file that does not exist (was {path})");
    }

    /// <summary>
    /// Each item of a list of durations, read raw: the configuration binder silently drops list
    /// items it cannot convert, so <c>RetryDelays:1=5m</c> would otherwise vanish unnoticed.
    /// </summary>
    public void Durations(IConfiguration configuration, string name)
    {
        foreach (var item in configuration.GetSection(Key(name)).GetChildren())
        {
            if (item.Value is null) continue;
            if (!TimeSpan.TryParse(item.Value, CultureInfo.InvariantCulture, out var delay))
                _problems.Add($"{item.Path} must be a duration such as 00:05:00 (was {item.Value})");
            else if (delay <= TimeSpan.Zero)
                _problems.Add($"{item.Path} must be a positive duration (was {item.Value})");
        }
    }
}
