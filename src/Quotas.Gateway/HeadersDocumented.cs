using System.Globalization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Quotas.Gateway.Endpoints;
using Quotas.Gateway.Idempotency;

namespace Quotas.Gateway;

/// <summary>
/// Puts the headers the API reads and answers with into the OpenAPI document, so that a client generated from it can
/// send an <c>Idempotency-Key</c> (its retries of a submit or a lease are then safe) and read the retry, rate-limit and
/// paging headers: <c>Retry-After</c>, <c>RateLimit-Policy</c> and <c>RateLimit</c> on 429, <c>Retry-After</c> on
/// 503, <c>Link</c> on a list's page, <c>Idempotent-Replayed</c> on a replay. The document listed none of them.
/// </summary>
internal sealed class HeadersDocumented : IOpenApiOperationTransformer
{
    /// <summary>Endpoint metadata: the route takes an Idempotency-Key (see <see cref="RouteProblems.TakesIdempotencyKey"/>).</summary>
    internal sealed record IdempotencyKey(bool StoresResponse)
    {
        /// <summary>What the key does on a route whose response is stored (a submit, a usage record).</summary>
        public const string StoredResponse = "Makes a retry safe: the first request's response is stored under the key (per tenant) and a retry with the same key "
            + "and body gets it again; the same key with another body answers 422, one still running 409. 1 to 128 visible ASCII characters; a UUID will do.";

        /// <summary>What the key does on a lease acquisition, where it names the lease.</summary>
        public const string LeaseKey = "Makes a retry safe: a retry with the same key gets the lease the key was given (while it is held, and for a while "
            + "after its release) instead of a second one; the same key with another quota or amount answers 422. 1 to 128 visible ASCII characters; a UUID will do.";
    }

    /// <summary>Endpoint metadata: the route answers a page of a list (see <see cref="RouteProblems.IsPaged"/>).</summary>
    internal sealed class Paged
    {
        public static readonly Paged Instance = new();

        private Paged()
        {
        }
    }

    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        if (metadata.OfType<IdempotencyKey>().FirstOrDefault() is { } idempotency)
        {
            (operation.Parameters ??= []).Add(new OpenApiParameter
            {
                Name = IdempotentRequest.Header,
                In = ParameterLocation.Header,
                Description = idempotency.StoresResponse ? IdempotencyKey.StoredResponse : IdempotencyKey.LeaseKey,
                Schema = new OpenApiSchema { Type = JsonSchemaType.String, MinLength = 1, MaxLength = 128 },
            });
            if (idempotency.StoresResponse)
            {
                AddHeader(operation, "200", "Idempotent-Replayed", "true when this is the stored response of an earlier request with the same Idempotency-Key.");
                AddHeader(operation, "201", "Idempotent-Replayed", "true when this is the stored response of an earlier request with the same Idempotency-Key.");
            }
        }

        if (metadata.OfType<Paged>().Any())
        {
            AddHeader(operation, "200", "Link", "<url>; rel=\"next\": the next page, when there is one (its cursor is also in the body's nextCursor).");
            if (operation.Parameters?.FirstOrDefault(p => p.Name == "limit" && p.In == ParameterLocation.Query) is OpenApiParameter { Schema: OpenApiSchema limit })
            {
                limit.Minimum = "1";
                limit.Maximum = Paging.MaxLimit.ToString(CultureInfo.InvariantCulture);
                limit.Default = Paging.DefaultLimit;
            }
        }

        if (context.Document is { } document)
        {
            // Shared by every refusal: declared once under components, referred to from each response.
            foreach (var (name, header) in s_refusalHeaders)
            {
                document.Components ??= new OpenApiComponents();
                document.Components.Headers ??= new Dictionary<string, IOpenApiHeader>();
                document.Components.Headers[name] = header;
            }

            ReferHeader(operation, "429", "Retry-After", document);
            ReferHeader(operation, "429", "RateLimit-Policy", document);
            ReferHeader(operation, "429", "RateLimit", document);
            ReferHeader(operation, "503", "Retry-After", document);
        }

        return Task.CompletedTask;
    }

    private static readonly (string Name, OpenApiHeader Header)[] s_refusalHeaders =
    [
        ("Retry-After", new OpenApiHeader
        {
            Description = "Seconds to wait before trying again: until a refused request can be admitted (none when no wait admits it, as for a hit larger than its limit), or until the service can take it.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.Integer },
        }),
        ("RateLimit-Policy", new OpenApiHeader
        {
            Description = "The refusing quota's policy, as draft-ietf-httpapi-ratelimit-headers defines it, when a quota refused the request.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String },
        }),
        ("RateLimit", new OpenApiHeader
        {
            Description = "The refusing quota's remaining units and reset, as draft-ietf-httpapi-ratelimit-headers defines them, when a quota refused the request.",
            Schema = new OpenApiSchema { Type = JsonSchemaType.String },
        }),
    ];

    private static void ReferHeader(OpenApiOperation operation, string status, string name, OpenApiDocument document)
    {
        if (operation.Responses?.TryGetValue(status, out var found) == true && found is OpenApiResponse response)
        {
            response.Headers ??= new Dictionary<string, IOpenApiHeader>();
            response.Headers[name] = new OpenApiHeaderReference(name, document);
        }
    }

    private static void AddHeader(OpenApiOperation operation, string status, string name, string description)
    {
        if (operation.Responses?.TryGetValue(status, out var found) == true && found is OpenApiResponse response)
        {
            response.Headers ??= new Dictionary<string, IOpenApiHeader>();
            response.Headers[name] = new OpenApiHeader { Description = description, Schema = new OpenApiSchema { Type = JsonSchemaType.String } };
        }
    }
}
