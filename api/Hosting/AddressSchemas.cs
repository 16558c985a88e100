using System.Reflection;
using System.Text.Json;
using EmailApi.Sending;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace EmailApi.Hosting;

/// <summary>
/// The address forms the JSON converters accept (<see cref="AddressInputConverter"/>,
/// <see cref="AddressListConverter"/>), as two named schemas: <c>Address</c> is a string
/// (<c>"Name &lt;a@example.com&gt;"</c> or <c>"a@example.com"</c>) or <c>{"email", "name"}</c>;
/// <c>AddressList</c> is one Address or an array of them. Properties of those types point at them,
/// so generated clients get one named type instead of a copy per field.
/// </summary>
internal sealed class AddressSchemas : ISchemaFilter
{
    public const string Address = "Address";
    public const string AddressObject = "AddressObject";
    public const string AddressList = "AddressList";

    /// <summary>Keeps Swashbuckle from describing the converters' CLR shapes (a record, a List) instead of their JSON.</summary>
    public static void Map(SwaggerGenOptions options)
    {
        options.MapType<AddressInput>(() => new OpenApiSchema { Type = JsonSchemaType.String });
        options.MapType<AddressList>(() => new OpenApiSchema { Type = JsonSchemaType.String });
    }

    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (schema is not OpenApiSchema { Properties: { } properties } || context.Type is null) return;
        foreach (var property in context.Type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var target = property.PropertyType == typeof(AddressInput) ? Address
                : property.PropertyType == typeof(AddressList) ? AddressList
                : null;
            if (target is null) continue;
            var name = JsonNamingPolicy.CamelCase.ConvertName(property.Name);
            if (!properties.ContainsKey(name)) continue;
            Register(context.SchemaRepository);
            properties[name] = new OpenApiSchemaReference(target);
        }
    }

    private static void Register(SchemaRepository repository)
    {
        if (repository.Schemas.ContainsKey(Address)) return;
        repository.AddDefinition(AddressObject, new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "An address with an optional display name.",
            Required = new HashSet<string> { "email" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["email"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "email" },
                ["name"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Display name, without line breaks." },
            },
            AdditionalPropertiesAllowed = false,
        });
        repository.AddDefinition(Address, new OpenApiSchema
        {
            Description = "\"Name <a@example.com>\", \"a@example.com\" or {\"email\": \"a@example.com\", \"name\": \"Name\"}.",
            OneOf =
            [
                new OpenApiSchema { Type = JsonSchemaType.String },
                new OpenApiSchemaReference(AddressObject),
            ],
        });
        repository.AddDefinition(AddressList, new OpenApiSchema
        {
            Description = "One address or an array of addresses, each a string or {\"email\", \"name\"}.",
            OneOf =
            [
                new OpenApiSchemaReference(Address),
                new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchemaReference(Address) },
            ],
        });
    }
}
