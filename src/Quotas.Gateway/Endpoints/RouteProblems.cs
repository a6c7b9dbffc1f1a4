using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Quotas.Gateway.Endpoints;

/// <summary>
/// The problem answers that many routes share, declared once, so that the OpenAPI document lists on each route the
/// statuses it really answers and a client generated from it knows them. The access checks declare their own answers
/// (<see cref="Auth.AccessFilters"/>: 401, and 403 or 404); a route adds what its handler answers besides.
/// </summary>
internal static class RouteProblems
{
    /// <summary>A route that reads a JSON body: 400 when it is malformed or fails validation, 413 when it is larger than
    /// <c>Quotas:Gateway:MaxRequestBodyBytes</c>, 415 when it is not JSON.</summary>
    public static TBuilder ReadsBody<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);

    /// <summary>A route whose path names something by id (a tenant, pool, job, lease or key): 400 when the id is not
    /// valid, 404 when nothing has it.</summary>
    public static TBuilder NamesById<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);

    /// <summary>A list (<see cref="Paging"/>): 400 for a <c>limit</c> out of range, or a <c>cursor</c> it cannot read.</summary>
    public static TBuilder IsPaged<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.ProducesProblem(StatusCodes.Status400BadRequest).WithMetadata(HeadersDocumented.Paged.Instance);

    /// <summary>
    /// A route that takes an <c>Idempotency-Key</c> header; <paramref name="storesResponse"/>: its response is stored
    /// under the key (see <see cref="Idempotency.IdempotentRequest"/>) and a replay answers it with
    /// <c>Idempotent-Replayed: true</c>; otherwise the key names what the request creates (a lease).
    /// </summary>
    public static TBuilder TakesIdempotencyKey<TBuilder>(this TBuilder builder, bool storesResponse)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new HeadersDocumented.IdempotencyKey(storesResponse));
}
