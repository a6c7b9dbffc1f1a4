using System.Globalization;
using System.Text;

namespace Quotas.Gateway.Metrics;

/// <summary>Writes metric families in the Prometheus text exposition format (version 0.0.4).</summary>
internal static class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static void Write(StringBuilder text, MetricFamily family)
    {
        text.Append("# HELP ").Append(family.Name).Append(' ').Append(EscapeHelp(family.Help)).Append('\n');
        text.Append("# TYPE ").Append(family.Name).Append(' ').Append(TypeName(family.Kind)).Append('\n');
        if (family.Kind == MetricKind.Histogram)
        {
            foreach (var (labels, series) in family.Histograms)
            {
                WriteHistogram(text, family, labels, series);
            }

            return;
        }

        foreach (var (labels, series) in family.Values)
        {
            Sample(text, family.Name, labels, series.Value);
        }
    }

    private static void WriteHistogram(StringBuilder text, MetricFamily family, string labels, HistogramSeries series)
    {
        var (cumulative, sum, count) = series.Read();
        var bucket = family.Name + "_bucket";
        var prefix = labels.Length == 0 ? "" : labels + ",";
        for (var i = 0; i < family.Bounds.Length; i++)
        {
            Sample(text, bucket, prefix + "le=\"" + Number(family.Bounds[i]) + "\"", cumulative[i]);
        }

        Sample(text, bucket, prefix + "le=\"+Inf\"", cumulative[^1]);
        Sample(text, family.Name + "_sum", labels, sum);
        Sample(text, family.Name + "_count", labels, count);
    }

    private static void Sample(StringBuilder text, string name, string labels, double value)
    {
        text.Append(name);
        if (labels.Length > 0)
        {
            text.Append('{').Append(labels).Append('}');
        }

        text.Append(' ').Append(Number(value)).Append('\n');
    }

    /// <summary>Integers without a decimal point, other values round-trippable; infinities as +Inf and -Inf.</summary>
    public static string Number(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ when value == Math.Floor(value) && Math.Abs(value) < 1e15 => ((long)value).ToString(CultureInfo.InvariantCulture),
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    private static string TypeName(MetricKind kind) => kind switch
    {
        MetricKind.Counter => "counter",
        MetricKind.Histogram => "histogram",
        _ => "gauge",
    };

    private static string EscapeHelp(string help) => help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
