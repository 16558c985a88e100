using System.Text.Json;
using EmailApi.Mail;

namespace EmailApi.Accounts;

/// <summary>
/// Reads the JSON of an account create or update. A limit that is absent is left alone (or takes
/// the default on create); <c>null</c> means unlimited, so the two must be told apart, which a
/// plain record binding cannot do.
/// </summary>
internal static class AccountInput
{
    private static readonly HashSet<string> Known = new(StringComparer.OrdinalIgnoreCase)
    {
        "name", "monthlyQuota", "perHour", "perMinute", "senderDomains", "disabled", "unsubscribeTags",
    };

    public static (AccountChanges Changes, Dictionary<string, string[]> Errors) Read(JsonElement body)
    {
        var errors = new Dictionary<string, string[]>();
        if (body.ValueKind != JsonValueKind.Object)
        {
            errors["$"] = ["The body must be a JSON object."];
            return (new AccountChanges(null, default, default, default, null, null), errors);
        }
        foreach (var property in body.EnumerateObject().Where(p => !Known.Contains(p.Name)))
            errors[property.Name] = ["Unknown field."];

        string? name = null;
        if (Find(body, "name") is { } n)
        {
            if (n.ValueKind != JsonValueKind.String || n.GetString() is not { Length: > 0 and <= 100 } text || text.Any(char.IsControl))
                errors["name"] = ["'name' must be 1 to 100 characters without control characters."];
            else name = n.GetString()!.Trim();
        }
        var quota = Limit(body, "monthlyQuota", errors);
        var perHour = Limit(body, "perHour", errors);
        var perMinute = Limit(body, "perMinute", errors);

        List<string>? domains = null;
        if (Find(body, "senderDomains") is { } d)
        {
            if (d.ValueKind == JsonValueKind.Null) domains = [];
            else if (d.ValueKind != JsonValueKind.Array || d.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String))
                errors["senderDomains"] = ["'senderDomains' must be an array of domain names (empty or null: any domain)."];
            else
            {
                domains = d.EnumerateArray().Select(x => x.GetString()!.Trim().TrimEnd('.').ToLowerInvariant()).Distinct().ToList();
                var bad = domains.Where(x => !AddressRules.IsValidDomain(x)).ToArray();
                if (bad.Length > 0) errors["senderDomains"] = bad.Select(x => $"'{x}' is not a domain name.").ToArray();
                if (domains.Count > 100) errors["senderDomains"] = ["At most 100 sender domains."];
            }
        }

        List<string>? unsubscribeTags = null;
        if (Find(body, "unsubscribeTags") is { } u)
        {
            const string rule = "'unsubscribeTags' must be an array of at most {0} tags of 1 to {1} characters on one line (empty or null: none).";
            if (u.ValueKind == JsonValueKind.Null) unsubscribeTags = [];
            else if (u.ValueKind != JsonValueKind.Array
                || u.EnumerateArray().Any(x => x.ValueKind != JsonValueKind.String
                    || x.GetString() is not { Length: > 0 and <= TagRules.MaxTagLength } tag || tag.Any(char.IsControl))
                || u.GetArrayLength() > TagRules.MaxTags)
                errors["unsubscribeTags"] = [string.Format(rule, TagRules.MaxTags, TagRules.MaxTagLength)];
            // Tags match exactly, as GET /v1/messages?tag= does: no trimming or case folding.
            else unsubscribeTags = u.EnumerateArray().Select(x => x.GetString()!).Distinct(StringComparer.Ordinal).ToList();
        }

        bool? disabled = null;
        if (Find(body, "disabled") is { } b)
        {
            if (b.ValueKind is JsonValueKind.True or JsonValueKind.False) disabled = b.GetBoolean();
            else errors["disabled"] = ["'disabled' must be true or false."];
        }
        return (new AccountChanges(name, quota, perHour, perMinute, domains, disabled, unsubscribeTags), errors);
    }

    private static Optional<long?> Limit(JsonElement body, string field, Dictionary<string, string[]> errors)
    {
        if (Find(body, field) is not { } value) return Optional<long?>.None;
        if (value.ValueKind == JsonValueKind.Null) return Optional<long?>.Of(null);
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) && number >= 0) return Optional<long?>.Of(number);
        errors[field] = [$"'{field}' must be a whole number of recipients (0 or more), or null for unlimited."];
        return Optional<long?>.None;
    }

    private static JsonElement? Find(JsonElement body, string field)
    {
        foreach (var property in body.EnumerateObject())
            if (string.Equals(property.Name, field, StringComparison.OrdinalIgnoreCase)) return property.Value;
        return null;
    }
}
