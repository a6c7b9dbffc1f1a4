using System.Diagnostics.Metrics;

namespace Quotas.Gateway.Metrics;

/// <summary>
/// Prometheus names for OpenTelemetry-style instruments: dots and other characters become underscores, the base unit
/// is appended (<c>s</c> → <c>_seconds</c>, <c>By</c> → <c>_bytes</c>; annotations such as <c>{request}</c> add
/// nothing), and counters end in <c>_total</c>.
/// </summary>
internal static class PrometheusNames
{
    public static string MetricName(Instrument instrument, MetricKind kind)
    {
        var name = Sanitize(instrument.Name);
        var unit = UnitSuffix(instrument.Unit);
        if (unit.Length > 0 && !name.EndsWith(unit, StringComparison.Ordinal))
        {
            name += unit;
        }

        return kind == MetricKind.Counter && !name.EndsWith("_total", StringComparison.Ordinal) ? name + "_total" : name;
    }

    /// <summary>Label and metric names allow <c>[a-zA-Z0-9_]</c> only (and no leading digit).</summary>
    public static string Sanitize(string name)
    {
        return string.Create(name.Length, name, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                var c = source[i];
                span[i] = char.IsAsciiLetterOrDigit(c) && !(i == 0 && char.IsAsciiDigit(c)) ? c : '_';
            }
        });
    }

    private static string UnitSuffix(string? unit) => unit switch
    {
        "s" => "_seconds",
        "ms" => "_milliseconds",
        "By" => "_bytes",
        _ => "",
    };
}
