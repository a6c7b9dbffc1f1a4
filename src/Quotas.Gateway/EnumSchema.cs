using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Quotas.Gateway.Api;

namespace Quotas.Gateway;

/// <summary>
/// Lists the names an enum read by <see cref="StrictEnumConverter"/> takes: the document generator describes the
/// framework's own enum converter only, and would leave such a field without a schema.
/// </summary>
internal sealed class EnumSchema : IOpenApiSchemaTransformer
{
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var type = context.JsonTypeInfo.Type;
        var underlying = Nullable.GetUnderlyingType(type);
        if ((underlying ?? type).IsEnum)
        {
            var names = StrictEnumConverter.NamesOf(underlying ?? type).Select(n => (JsonNode?)JsonValue.Create(n)).ToList();
            if (underlying is not null)
            {
                names.Add(null);
            }

            schema.Enum = names!;
        }

        return Task.CompletedTask;
    }
}
