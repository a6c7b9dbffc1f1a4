using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;
using Quotas.Core.Tenants;
using Quotas.Gateway.Api;

namespace Quotas.Gateway.Endpoints;

/// <summary>Cursor pagination: <c>limit</c> (1 to 1,000, default 100) and <c>cursor</c>; the next page is also in a
/// <c>Link: &lt;...&gt;; rel="next"</c> header.</summary>
internal static class Paging
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;

    public static int Limit(int? limit) => limit switch
    {
        null => DefaultLimit,
        < 1 or > MaxLimit => throw new QuotaValidationException(ValidationCodes.Invalid, $"limit is {limit}: use 1 to {MaxLimit}."),
        _ => limit.Value,
    };

    public static Page<T> Page<T>(HttpContext context, IReadOnlyList<T> items, string? nextCursor)
    {
        if (nextCursor is not null)
        {
            var query = QueryString.Create(context.Request.Query
                .Where(q => !string.Equals(q.Key, "cursor", StringComparison.OrdinalIgnoreCase)) // bound case-insensitively, so dropped so too
                .SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string?>(q.Key, v)))
                .Append(new("cursor", nextCursor)));
            var next = UriHelper.BuildRelative(context.Request.PathBase, context.Request.Path, query);
            context.Response.Headers.Link = $"<{next}>; rel=\"next\"";
        }

        return new Page<T>(items, nextCursor);
    }
}
