using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace EmailApi.Hosting;

/// <summary>
/// Adds to each operation what its endpoint cannot declare through Minimal API metadata (see
/// <see cref="OperationDetails"/>): the parameters' descriptions, the headers it reads and writes,
/// and a request example that succeeds when sent (Swagger UI's "Try it out" starts from it).
/// </summary>
internal sealed class OperationDetailsFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (operation.OperationId is not { } id || !OperationDetails.ById.TryGetValue(id, out var details)) return;

        if (string.IsNullOrEmpty(operation.Description) && details.Description is { } description)
            operation.Description = description;

        foreach (var parameter in operation.Parameters?.OfType<OpenApiParameter>() ?? [])
            if (details.Parameters.TryGetValue(parameter.Name ?? "", out var about)) parameter.Description = about;

        if (details.Idempotent)
        {
            operation.Parameters ??= [];
            operation.Parameters.Add(new OpenApiParameter
            {
                Name = "Idempotency-Key",
                In = ParameterLocation.Header,
                Required = false,
                Description = "1 to 256 visible ASCII characters, kept 24 hours per account. A retry of the same request (method, path, " +
                    "query and body) with the same key gets the original answer back, marked 'Idempotent-Replayed: true', without a second " +
                    "message; the same key with a different request is refused with 422 (draft-ietf-httpapi-idempotency-key-header).",
                // No example: Swagger UI would fill it in, and the same key sent with another operation's example is a 422.
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = 256, Pattern = "^[!-~]+$" },
            });
        }

        foreach (var (status, response) in operation.Responses ?? [])
        {
            if (response is not OpenApiResponse target) continue;
            foreach (var header in HeadersFor(status, details))
            {
                target.Headers ??= new Dictionary<string, IOpenApiHeader>();
                target.Headers[header.Name] = new OpenApiHeader { Description = header.Description, Schema = header.Schema() };
            }
        }

        if (details.Example is { } example && operation.RequestBody?.Content is { } content)
            foreach (var media in content.Values.OfType<OpenApiMediaType>())
                media.Example = example.DeepClone();
    }

    private static IEnumerable<ResponseHeader> HeadersFor(string status, OperationDetails details)
    {
        if (status is "201" || (status is "202" && details.Idempotent)) yield return ResponseHeader.Location;
        if (details.Idempotent && status is "200" or "202") yield return ResponseHeader.IdempotentReplayed;
        if (status is "429")
        {
            yield return ResponseHeader.RetryAfter;
            yield return ResponseHeader.RateLimitLimit;
            yield return ResponseHeader.RateLimitRemaining;
            yield return ResponseHeader.RateLimitReset;
        }
    }

    private sealed record ResponseHeader(string Name, string Description, JsonSchemaType Type)
    {
        public static readonly ResponseHeader Location = new("Location", "The URL of what was created: GET it to follow it.", JsonSchemaType.String);
        public static readonly ResponseHeader IdempotentReplayed = new("Idempotent-Replayed",
            "'true' when this is the stored answer to an earlier request with the same Idempotency-Key; absent otherwise.", JsonSchemaType.String);
        public static readonly ResponseHeader RetryAfter = new("Retry-After", "Seconds until the exceeded limit resets (RFC 9110 §10.2.3).", JsonSchemaType.Integer);
        public static readonly ResponseHeader RateLimitLimit = new("RateLimit-Limit", "The exceeded limit, in recipients per its window.", JsonSchemaType.Integer);
        public static readonly ResponseHeader RateLimitRemaining = new("RateLimit-Remaining", "Recipients still allowed in the current window.", JsonSchemaType.Integer);
        public static readonly ResponseHeader RateLimitReset = new("RateLimit-Reset", "Seconds until the window resets.", JsonSchemaType.Integer);

        public OpenApiSchema Schema() => Name == "Idempotent-Replayed"
            ? new OpenApiSchema { Type = Type, Enum = [JsonValue.Create("true")] }
            : new OpenApiSchema { Type = Type };
    }
}
