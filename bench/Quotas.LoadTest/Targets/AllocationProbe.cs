using System.Globalization;
using System.Net.Http.Headers;

namespace Quotas.LoadTest.Targets;

/// <summary>
/// Reads how many bytes a server process has allocated so far (<c>GC.GetTotalAllocatedBytes</c>), between steps: the
/// product from its own Prometheus endpoint, a baseline from the <c>/allocated</c> route the serve command adds.
/// </summary>
internal static class AllocationProbe
{
    /// <summary>The runtime meter's counter in the product's <c>/metrics</c>.</summary>
    public const string MetricName = "dotnet_gc_heap_total_allocated_bytes_total";

    private static readonly HttpClient s_client = new() { Timeout = TimeSpan.FromSeconds(5) };

    /// <summary>The figure a baseline answers as plain text; null when the server does not answer.</summary>
    public static Task<long?> PlainAsync(Uri uri, CancellationToken cancellationToken) =>
        ReadAsync(uri, null, text => long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var bytes) ? bytes : null, cancellationToken);

    /// <summary>The sum of <see cref="MetricName"/> over its series in a Prometheus text page read with a bearer key.</summary>
    public static Task<long?> PrometheusAsync(Uri uri, string bearerKey, CancellationToken cancellationToken) =>
        ReadAsync(uri, bearerKey, SumOfMetric, cancellationToken);

    private static async Task<long?> ReadAsync(Uri uri, string? bearerKey, Func<string, long?> parse, CancellationToken cancellationToken)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            if (bearerKey is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearerKey);
            }

            using var response = await s_client.SendAsync(request, cancellationToken);
            return response.IsSuccessStatusCode ? parse(await response.Content.ReadAsStringAsync(cancellationToken)) : null;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // An overloaded server may not answer in time; the step then simply has no allocation figure.
            return null;
        }
    }

    private static long? SumOfMetric(string page)
    {
        long? sum = null;
        foreach (var line in page.Split('\n'))
        {
            if (line.StartsWith(MetricName, StringComparison.Ordinal)
                && double.TryParse(line[(line.LastIndexOf(' ') + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                sum = (sum ?? 0) + (long)value;
            }
        }

        return sum;
    }
}
