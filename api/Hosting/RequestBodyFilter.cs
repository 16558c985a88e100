using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace EmailApi.Hosting;

/// <summary>
/// Request bodies as the endpoints read them, where the handler's signature says less:
/// <list type="bullet">
/// <item>a handler that binds a <c>JsonElement</c> (to tell an absent field from a null one, as the
/// account update does) declares its real shape with <c>Accepts&lt;T&gt;</c>; that type is the schema,
/// not the empty one of <c>JsonElement</c>;</item>
/// <item>a body that is not JSON (<c>message/rfc822</c>) is raw bytes: <c>format: binary</c>, not the
/// base64 that <c>byte[]</c> means inside JSON;</item>
/// <item>a form (Mailgun's messages) keeps the fields of the type it declares;</item>
/// <item>a body declared only for the document (<see cref="Compat.DocumentedBody"/>) is added from its type.</item>
/// </list>
/// </summary>
internal sealed class RequestBodyFilter : IOperationFilter
{
    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (operation.RequestBody is null && context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<Compat.DocumentedBody>().LastOrDefault() is { } documented)
        {
            var body = new OpenApiRequestBody { Required = true, Content = new Dictionary<string, IOpenApiMediaType>() };
            foreach (var type in documented.ContentTypes)
                body.Content[type] = new OpenApiMediaType { Schema = context.SchemaGenerator.GenerateSchema(documented.RequestType, context.SchemaRepository) };
            operation.RequestBody = body;
            return;
        }
        if (operation.RequestBody?.Content is not { } content) return;
        var accepts = context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<IAcceptsMetadata>().LastOrDefault();
        foreach (var (contentType, media) in content.Select(c => (c.Key, c.Value as OpenApiMediaType)))
        {
            if (media is null) continue;
            if (IsForm(contentType))
            {
                if (accepts?.RequestType is { } form && IsEmpty(media.Schema)) media.Schema = context.SchemaGenerator.GenerateSchema(form, context.SchemaRepository);
            }
            else if (!IsJson(contentType))
            {
                media.Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" };
            }
            else if (accepts?.RequestType is { } declared && IsEmpty(media.Schema))
            {
                media.Schema = context.SchemaGenerator.GenerateSchema(declared, context.SchemaRepository);
            }
        }
    }

    private static bool IsJson(string contentType) =>
        contentType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || contentType.EndsWith("+json", StringComparison.OrdinalIgnoreCase);

    private static bool IsForm(string contentType) =>
        contentType.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) || contentType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase);

    private static bool IsEmpty(IOpenApiSchema? schema) =>
        schema is null or OpenApiSchema { Type: null, Properties: null or { Count: 0 }, OneOf: null or { Count: 0 }, Items: null };
}
