namespace EmailApi.Hosting;

/// <summary>Which parts this process runs (<c>Roles</c>: any of <c>api</c>, <c>smtp</c>, <c>mx</c>, <c>sender</c>; default all four).</summary>
public sealed record Roles(bool Api, bool Smtp, bool Sender, bool Mx = false)
{
    public static Roles From(IConfiguration configuration)
    {
        var text = configuration["Roles"];
        if (string.IsNullOrWhiteSpace(text)) return new Roles(true, true, true, true);
        var names = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(n => n.ToLowerInvariant()).ToHashSet();
        var unknown = names.Except(["api", "smtp", "sender", "mx"]).ToArray();
        if (unknown.Length > 0) throw new InvalidOperationException($"Unknown role(s) in Roles: {string.Join(", ", unknown)}. Use api, smtp, mx, sender.");
        return new Roles(names.Contains("api"), names.Contains("smtp"), names.Contains("sender"), names.Contains("mx"));
    }

    public override string ToString() => string.Join(',', new[] { Api ? "api" : null, Smtp ? "smtp" : null, Mx ? "mx" : null, Sender ? "sender" : null }.OfType<string>());
}
