using System.Globalization;
using System.Net.Http.Headers;
using Quotas.LoadTest.Load;

namespace Quotas.LoadTest.Targets;

/// <summary>
/// Reads a server process's collector figures between steps: the product from its own Prometheus endpoint (the
/// runtime meter's series), a baseline from the <c>/gc</c> route the serve command adds.
/// </summary>
internal static class GcProbe
{
    /// <summary>The runtime meter's series in the product's <c>/metrics</c>.</summary>
    public const string AllocatedMetric = "dotnet_gc_heap_total_allocated_bytes_total";

    /// <summary>One series per generation, each counting the collections of that generation: their sum is every collection.</summary>
    public const string CollectionsMetric = "dotnet_gc_collections_total";

    public const string PauseMetric = "dotnet_gc_pause_time_seconds_total";

    private static readonly HttpClient s_client = new() { Timeout = TimeSpan.FromSeconds(5) };

    /// <summary>The figures a baseline's <c>/gc</c> route answers (bytes, collections, pause ticks); null when it does not answer.</summary>
    public static Task<GcFigures?> PlainAsync(Uri uri, CancellationToken cancellationToken) =>
        ReadAsync(uri, null, ParsePlain, cancellationToken);

    /// <summary>The runtime meter's series, each summed over its labels, in a Prometheus text page read with a bearer key.</summary>
    public static Task<GcFigures?> PrometheusAsync(Uri uri, string bearerKey, CancellationToken cancellationToken) =>
        ReadAsync(uri, bearerKey, ParsePrometheus, cancellationToken);

    private static async Task<GcFigures?> ReadAsync(Uri uri, string? bearerKey, Func<string, GcFigures?> parse, CancellationToken cancellationToken)
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
            // An overloaded server may not answer in time; the step then simply has no collector figures.
            return null;
        }
    }

    private static GcFigures? ParsePlain(string text)
    {
        var parts = text.Split(' ', StringSplitOptions.TrimEntries);
        return parts.Length == 3
            && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var bytes)
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var collections)
            && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var pauseTicks)
            ? new GcFigures(bytes, collections, TimeSpan.FromTicks(pauseTicks))
            : null;
    }

    private static GcFigures? ParsePrometheus(string page)
    {
        double? bytes = null, collections = null, pauseSeconds = null;
        foreach (var line in page.Split('\n'))
        {
            Add(line, AllocatedMetric, ref bytes);
            Add(line, CollectionsMetric, ref collections);
            Add(line, PauseMetric, ref pauseSeconds);
        }

        return bytes is { } b && collections is { } c && pauseSeconds is { } p
            ? new GcFigures((long)b, (long)c, TimeSpan.FromSeconds(p))
            : null;
    }

    /// <summary>Adds the line's value when it is a sample of the metric (the name followed by its labels or a space).</summary>
    private static void Add(string line, string metric, ref double? sum)
    {
        if (line.StartsWith(metric, StringComparison.Ordinal)
            && line.Length > metric.Length && line[metric.Length] is '{' or ' '
            && double.TryParse(line[(line.LastIndexOf(' ') + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            sum = (sum ?? 0) + value;
        }
    }
}
