using System.Text.Json;
using System.Text.Json.Serialization;
using EmailApi.Accounts;
using EmailApi.Sending;

namespace EmailApi.Compat;

/// <summary>What the four doors share before the provider's words start: the key in its place, the body, strict JSON.</summary>
internal static class CompatRequests
{
    /// <summary>The key when it is valid and live and its account enabled (the native rules, cached the same way); null otherwise.</summary>
    public static async Task<StoredKey?> KeyAsync(ApiKeyAuthenticator keys, string? presented, CancellationToken ct) =>
        string.IsNullOrWhiteSpace(presented) ? null : await keys.AuthenticateAsync(presented.Trim(), ct);

    public static string? Bearer(HttpRequest http)
    {
        string? header = http.Headers.Authorization;
        return header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..] : null;
    }

    /// <summary>The body within the service's size limit; the status to answer (413, 400) when it cannot be read.</summary>
    public static async Task<(byte[]? Body, int Status)> ReadAsync(HttpRequest http, CancellationToken ct)
    {
        try
        {
            return (await SendRequests.ReadBodyAsync(http, ct), StatusCodes.Status200OK);
        }
        catch (BadHttpRequestException ex)
        {
            return (null, ex.StatusCode);
        }
    }

    /// <summary>
    /// Strict JSON in a provider's naming: unknown fields land in each record's <c>Unknown</c> bag and are
    /// refused by name (an ignored field would send a different message than the caller meant).
    /// </summary>
    public static JsonSerializerOptions Json(JsonNamingPolicy? naming) => new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = naming,
        PropertyNameCaseInsensitive = naming is null,
        AllowTrailingCommas = false,
        MaxDepth = 16,
        NumberHandling = JsonNumberHandling.Strict,
    };

    /// <summary>Reads <typeparamref name="T"/>; on failure the field (as a JSON path without <c>$.</c>) that could not be read.</summary>
    public static (T? Value, string? BadField) Parse<T>(byte[] body, JsonSerializerOptions options) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(body, options) is { } value ? (value, null) : (null, "$");
        }
        catch (JsonException ex)
        {
            return (null, SendRequests.FieldOf(ex.Path));
        }
    }

    /// <summary>The first field of <paramref name="unknown"/>, as <c>prefix.name</c>; null when there is none.</summary>
    public static string? FirstUnknown(IDictionary<string, JsonElement>? unknown, string prefix = "") =>
        unknown is { Count: > 0 } ? prefix + unknown.Keys.First() : null;

    /// <summary>An attachment's bytes as the native request carries them: base64 without line breaks (clients often wrap at 76).</summary>
    public static string? Base64(string? content) => content?.Replace("\r", "").Replace("\n", "");

    public static AddressList? List(IEnumerable<AddressInput>? items) => items is null ? null : new AddressList(items);
}

/// <summary>Native field names (<c>attachments[0].filename</c>) in a provider's words.</summary>
internal static class CompatFields
{
    /// <summary>
    /// Renames the root field through <paramref name="roots"/> (a root not listed stays) and the last
    /// part through <paramref name="leaves"/>; with <paramref name="dotted"/> indexes are written as
    /// SendGrid writes them (<c>attachments.0.filename</c>).
    /// </summary>
    public static string Map(string field, IReadOnlyDictionary<string, string> roots, IReadOnlyDictionary<string, string>? leaves = null, bool dotted = false)
    {
        var end = field.IndexOfAny(['[', '.']);
        var root = end < 0 ? field : field[..end];
        var rest = end < 0 ? "" : field[end..];
        if (dotted) rest = rest.Replace("[", ".").Replace("]", "");
        var cut = rest.LastIndexOf('.');
        if (leaves is not null && cut >= 0 && leaves.TryGetValue(rest[(cut + 1)..], out var leaf)) rest = rest[..(cut + 1)] + leaf;
        return (roots.TryGetValue(root, out var name) ? name : root) + rest;
    }
}

/// <summary>
/// A request body for the OpenAPI document only. <c>Accepts&lt;T&gt;</c> would also make routing refuse other
/// content types with its own 415 problem, and the hosted-API doors must answer those in their provider's shape.
/// </summary>
public sealed record DocumentedBody(Type RequestType, IReadOnlyList<string> ContentTypes);

internal static class DocumentedBodyExtensions
{
    public static RouteHandlerBuilder Documents<T>(this RouteHandlerBuilder builder, params string[] contentTypes) =>
        builder.WithMetadata(new DocumentedBody(typeof(T), contentTypes));

    /// <summary>The provider's error body <typeparamref name="T"/> for each of <paramref name="statuses"/>.</summary>
    public static RouteHandlerBuilder ProducesErrors<T>(this RouteHandlerBuilder builder, params int[] statuses)
    {
        foreach (var status in statuses) builder.Produces<T>(status);
        return builder;
    }
}
