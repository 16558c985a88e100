using EmailApi.Sending;
using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace EmailApi.Hosting;

/// <summary>
/// <see cref="BatchItemResult.Problem"/> is typed <c>object</c> so that a validation problem keeps
/// its <c>errors</c> when serialized; in the document it is what it holds: an RFC 9457 problem,
/// with <c>errors</c> when validation failed, present only on a rejected item.
/// </summary>
internal sealed class BatchProblemSchema : ISchemaFilter
{
    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (context.Type != typeof(BatchItemResult) || schema is not OpenApiSchema { Properties: { } properties } || !properties.ContainsKey("problem")) return;
        properties["problem"] = new OpenApiSchema
        {
            Description = "Why the message was rejected (only when 'status' is 'rejected'): a validation problem with 'errors', " +
                "or a quota, rate, sender-domain or size problem.",
            AnyOf =
            [
                context.SchemaGenerator.GenerateSchema(typeof(HttpValidationProblemDetails), context.SchemaRepository),
                context.SchemaGenerator.GenerateSchema(typeof(ProblemDetails), context.SchemaRepository),
            ],
            Type = JsonSchemaType.Null,   // written as "nullable": true in OpenAPI 3.0: accepted items carry "problem": null
        };
    }
}
