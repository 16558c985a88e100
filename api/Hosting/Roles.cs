namespace EmailApi.Hosting;

/// <summary>Which parts this process runs (<c>Roles</c>: any of <c>api</c>, <c>smtp</c>, <c>sender</c>; default all three).</summary>
public sealed record Roles(bool Api, bool Smtp, bool Sender)
{
    public static Roles From(IConfiguration configuration)
    {
        var text = configuration["Roles"];
        if (string.IsNullOrWhiteSpace(text)) return new Roles(true, true, true);
        var names = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(n => n.ToLowerInvariant()).ToHashSet();
        var unknown = names.Except(["api", "smtp", "sender"]).ToArray();
        if (unknown.Length > 0) throw new InvalidOperationException($"Unknown role(s) in Roles: {string.Join(", ", unknown)}. Use api, smtp, sender.");
        return new Roles(names.Contains("api"), names.Contains("smtp"), names.Contains("sender"));
    }

    public override string ToString() => string.Join(',', new[] { Api ? "api" : null, Smtp ? "smtp" : null, Sender ? "sender" : null }.OfType<string>());
}
