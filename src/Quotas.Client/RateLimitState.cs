using System.Globalization;
using System.Net.Http.Headers;

namespace Quotas.Client;

/// <summary>
/// The structured <c>RateLimit-Policy</c> and <c>RateLimit</c> fields of draft-ietf-httpapi-ratelimit-headers, e.g.
/// <c>"requests";q=100;w=60</c> and <c>"requests";r=0;t=18</c>: the policy's quota and window, what is left and the
/// seconds until the window frees units.
/// </summary>
public sealed record RateLimitState(string Policy, long? Quota, TimeSpan? Window, long Remaining, TimeSpan Reset)
{
    internal static RateLimitState? From(HttpResponseHeaders headers)
    {
        if (!headers.TryGetValues("RateLimit", out var values) || Parse(values.First()) is not { } limit)
        {
            return null;
        }

        var policy = headers.TryGetValues("RateLimit-Policy", out var policies) ? Parse(policies.First()) : null;
        var (name, parameters) = limit;
        return new RateLimitState(
            name,
            policy?.Parameters.GetValueOrDefault("q"),
            policy?.Parameters.TryGetValue("w", out var w) == true ? TimeSpan.FromSeconds(w) : null,
            parameters.GetValueOrDefault("r"),
            TimeSpan.FromSeconds(parameters.GetValueOrDefault("t")));
    }

    /// <summary>Reads the first item of a structured list: a quoted name followed by <c>;key=integer</c> parameters.</summary>
    private static (string Name, Dictionary<string, long> Parameters)? Parse(string field)
    {
        var item = field.Split(',')[0].Trim();
        var parts = item.Split(';');
        if (parts[0].Length < 2 || parts[0][0] != '"' || parts[0][^1] != '"')
        {
            return null;
        }

        var parameters = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var part in parts.Skip(1))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && long.TryParse(part.AsSpan(equals + 1).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            {
                parameters[part[..equals].Trim()] = value;
            }
        }

        return (parts[0][1..^1], parameters);
    }
}
