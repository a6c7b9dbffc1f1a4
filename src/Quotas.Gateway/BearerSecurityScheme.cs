using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Quotas.Gateway;

/// <summary>
/// Tells readers of the OpenAPI document (and clients generated from it) how every route is called:
/// <c>Authorization: Bearer &lt;key&gt;</c>. Declared for the whole document because no <c>/v1</c> route is open; the
/// routes without a key (health, metrics) are not in the document.
/// </summary>
internal sealed class BearerSecurityScheme : IOpenApiDocumentTransformer
{
    public const string Name = "Bearer";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[Name] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "The admin key (Quotas:Gateway:AdminKey), a tenant's key (qk_<keyId>_<secret>, issued by POST /v1/tenants/{tenantId}/api-keys) "
                + "or a pool's worker key (issued by POST /v1/pools/{poolId}/worker-keys; it reaches that pool's worker routes only). "
                + "Without a key a route answers 401; a tenant or worker key on an admin route 403.",
        };
        document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Name, document)] = [] }];
        return Task.CompletedTask;
    }
}
