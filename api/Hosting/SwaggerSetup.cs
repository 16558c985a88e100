using EmailApi.Sending;
using Microsoft.OpenApi;

namespace EmailApi.Hosting;

public static class SwaggerSetup
{
    public const string DocumentPath = "/swagger/v1/swagger.json";

    public static IServiceCollection AddEmailApiSwagger(this IServiceCollection services)
    {
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc("v1", new OpenApiInfo
            {
                Title = "EmailApi",
                Version = "v1",
                Description = "Self-hosted outgoing mail relay: POST a message, follow its delivery per recipient.",
            });
            o.AddSecurityDefinition("bearer", new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An API key: 'Authorization: Bearer ea_...'.",
            });
            o.AddSecurityRequirement(document => new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", document)] = [] });
            o.MapType<AddressInput>(() => new OpenApiSchema
            {
                Description = "\"Name <a@example.com>\", \"a@example.com\" or {\"email\", \"name\"}",
                OneOf =
                [
                    new OpenApiSchema { Type = JsonSchemaType.String },
                    new OpenApiSchema
                    {
                        Type = JsonSchemaType.Object,
                        Required = new HashSet<string> { "email" },
                        Properties = new Dictionary<string, IOpenApiSchema>
                        {
                            ["email"] = new OpenApiSchema { Type = JsonSchemaType.String },
                            ["name"] = new OpenApiSchema { Type = JsonSchemaType.String },
                        },
                    },
                ],
            });
            o.MapType<AddressList>(() => new OpenApiSchema
            {
                Description = "One address or an array of addresses (each a string or {\"email\", \"name\"})",
                OneOf =
                [
                    new OpenApiSchema { Type = JsonSchemaType.String },
                    new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
                ],
            });
        });
        return services;
    }
}
