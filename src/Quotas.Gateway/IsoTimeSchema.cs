using System.Text.Json.Serialization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Quotas.Gateway.Api;

namespace Quotas.Gateway;

/// <summary>
/// Describes a time read by <see cref="IsoTimeJsonConverter"/> as what it is, an ISO 8601 date-time string: the
/// document generator knows nothing of a custom converter's format and would leave the property without a schema.
/// </summary>
internal sealed class IsoTimeSchema : IOpenApiSchemaTransformer
{
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (context.JsonPropertyInfo?.AttributeProvider?.GetCustomAttributes(typeof(JsonConverterAttribute), inherit: false)
                .OfType<JsonConverterAttribute>().Any(a => a.ConverterType == typeof(IsoTimeJsonConverter)) == true)
        {
            schema.Type = JsonSchemaType.String | JsonSchemaType.Null;
            schema.Format = "date-time";
        }

        return Task.CompletedTask;
    }
}
