using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace CustomModels.Api.Hosting;

/// <summary>The OpenAPI document's title and its bearer-key scheme, so the reference page can send a key.</summary>
public static class OpenApiDocumentSetup
{
    public static IServiceCollection AddApiDocument(this IServiceCollection services) =>
        services.AddOpenApi(options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "Custom Models API",
                Version = "v3",
                Description = "Create, train, evaluate and transcribe with custom speech-recognition models. "
                    + "Every request carries `Authorization: Bearer <api key>`.",
            };
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes["bearer"] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An API key created with `custom-models keys create`",
            };
            document.Security ??= [];
            document.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", document)] = [] });
            return Task.CompletedTask;
        }));
}
