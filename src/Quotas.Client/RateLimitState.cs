using System.Globalization;
using System.Net.Http.Headers;

namespace Quotas.Client;

/// <summary>
/// The structured <c>RateLimit-Policy</c> and <c>RateLimit</c> fields of draft-ietf-httpapi-ratelimit-headers, e.g.
/// <c>"requests";q=100;w=60</c> and <c>"requests";r=0;t=18</c>: the policy's quota and window, what is left and the
/// seconds until the window frees units (on a refusal, until the refused request is admitted). <see cref="Reset"/> is
/// null when the server gave none: a refusal that no wait ends (a request larger than the limit) or a gauge whose
/// release no one can foretell. Seconds too large for a <see cref="TimeSpan"/> read as <see cref="TimeSpan.MaxValue"/>.
/// </summary>
public sealed record RateLimitState(string Policy, long? Quota, TimeSpan? Window, long Remaining, TimeSpan? Reset)
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
            policy is not null ? Seconds(policy.Value.Parameters, "w") : null,
            parameters.GetValueOrDefault("r"),
            Seconds(parameters, "t"));
    }

    /// <summary>A parameter in seconds; null when absent or negative (the draft allows neither), at most <see cref="TimeSpan.MaxValue"/>.</summary>
    private static TimeSpan? Seconds(Dictionary<string, long> parameters, string key) =>
        !parameters.TryGetValue(key, out var seconds) || seconds < 0 ? null
        : seconds >= (long)TimeSpan.MaxValue.TotalSeconds ? TimeSpan.MaxValue
        : TimeSpan.FromSeconds(seconds);

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
