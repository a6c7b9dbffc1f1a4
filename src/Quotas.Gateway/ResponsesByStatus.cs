using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Quotas.Gateway;

/// <summary>
/// Lists each operation's responses in the OpenAPI document by status code. Otherwise they come in the order their
/// metadata was declared (the access check's first, from the route group), which reads badly and makes a moved
/// declaration show up in the committed document's diff.
/// </summary>
internal sealed class ResponsesByStatus : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        if (operation.Responses is { Count: > 1 } responses)
        {
            var sorted = responses.OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
            responses.Clear();
            foreach (var (status, response) in sorted)
            {
                responses.Add(status, response);
            }
        }

        return Task.CompletedTask;
    }
}
