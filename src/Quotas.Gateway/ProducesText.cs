using System.Globalization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Quotas.Gateway;

/// <summary>
/// Endpoint metadata: the response of <paramref name="StatusCode"/> also comes as text in <paramref name="ContentType"/>
/// (a statements page as CSV), besides the JSON its Produces declares. Declaring it with a second Produces would replace
/// the JSON in the OpenAPI document, which keeps one declaration per status.
/// </summary>
internal sealed record ProducesText(int StatusCode, string ContentType);

/// <summary>Adds the text content that <see cref="ProducesText"/> declares to the operation's response, as a string.</summary>
internal sealed class TextResponses : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        foreach (var text in context.Description.ActionDescriptor.EndpointMetadata.OfType<ProducesText>())
        {
            if (operation.Responses?.TryGetValue(text.StatusCode.ToString(CultureInfo.InvariantCulture), out var response) == true && response.Content is { } content)
            {
                content[text.ContentType] = new OpenApiMediaType { Schema = new OpenApiSchema { Type = JsonSchemaType.String } };
            }
        }

        return Task.CompletedTask;
    }
}
