using System.ComponentModel;
using System.Reflection;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace EmailApi.Hosting;

/// <summary>A <see cref="DescriptionAttribute"/> on a record describes its schema (Swashbuckle reads it only on properties).</summary>
internal sealed class TypeDescriptionFilter : ISchemaFilter
{
    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (context.MemberInfo is not null || context.ParameterInfo is not null || schema is not OpenApiSchema target) return;
        if (context.Type?.GetCustomAttribute<DescriptionAttribute>() is { } about && string.IsNullOrEmpty(target.Description))
            target.Description = about.Description;
    }
}
