using Microsoft.OpenApi;

namespace EmailApi.Hosting;

/// <summary>
/// The OpenAPI document at <see cref="DocumentPath"/>, checked in as <c>openapi/openapi.json</c>. It must
/// say everything the API accepts, so that a generated client can send what the README shows: the
/// filters below add what Swashbuckle cannot infer from the endpoints (the address forms, enums,
/// headers, bodies read by hand, examples that succeed when sent).
/// </summary>
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
                Description = "Self-hosted outgoing mail relay: POST a message, follow its delivery per recipient. Errors are RFC 9457 " +
                    "problem details (application/problem+json); keys go in 'Authorization: Bearer <key>'.",
                // Self-hosted: whoever runs this instance answers for it.
                Contact = new OpenApiContact { Name = "The operator of this EmailApi instance" },
            });
            o.AddSecurityDefinition("bearer", new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An API key: 'Authorization: Bearer ea_...'.",
            });
            o.AddSecurityRequirement(document => new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", document)] = [] });

            // Records are written with nullable annotations: a property that is never null in an
            // answer is 'required' there, so generated clients need no null checks on it.
            o.SupportNonNullableReferenceTypes();
            o.NonNullableReferenceTypesAsRequired();

            AddressSchemas.Map(o);
            o.SchemaFilter<AddressSchemas>();
            o.SchemaFilter<AllowedValuesFilter>();
            o.SchemaFilter<BatchProblemSchema>();
            o.SchemaFilter<TypeDescriptionFilter>();
            o.OperationFilter<RequestBodyFilter>();
            o.OperationFilter<OperationDetailsFilter>();
            o.DocumentFilter<DocumentDetailsFilter>();
        });
        return services;
    }
}
