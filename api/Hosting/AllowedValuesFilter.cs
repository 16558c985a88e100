using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace EmailApi.Hosting;

/// <summary>
/// Turns <see cref="AllowedValuesAttribute"/> on a record property or a handler parameter into an
/// <c>enum</c>, so statuses and scopes (plain strings in C#, for the stores' sake) are closed lists
/// in the document; on a list property the values constrain its items.
/// </summary>
internal sealed class AllowedValuesFilter : ISchemaFilter
{
    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        var allowed = context.MemberInfo?.GetCustomAttribute<AllowedValuesAttribute>()
            ?? context.ParameterInfo?.GetCustomAttribute<AllowedValuesAttribute>();
        if (allowed is null || schema is not OpenApiSchema target) return;
        if (target.Type?.HasFlag(JsonSchemaType.Array) == true && target.Items is OpenApiSchema items) target = items;
        target.Enum = allowed.Values.Select(v => (JsonNode)JsonValue.Create(v?.ToString())!).ToList();
    }
}
