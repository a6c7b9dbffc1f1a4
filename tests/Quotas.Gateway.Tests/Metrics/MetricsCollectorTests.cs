using System.Diagnostics.Metrics;
using Grains.Testing;
using Microsoft.Extensions.Logging;
using Quotas.Gateway.Metrics;

namespace Quotas.Gateway.Tests.Metrics;

public sealed class MetricsCollectorTests : IDisposable
{
    private readonly string _meterName = "test.metrics." + Guid.NewGuid().ToString("N");
    private readonly Meter _meter;
    private readonly MetricsCollector _collector;

    public MetricsCollectorTests()
    {
        _collector = new MetricsCollector([_meterName], scope: null);
        _meter = new Meter(_meterName);
    }

    public void Dispose()
    {
        _meter.Dispose();
        _collector.Dispose();
    }

    [Fact]
    public void Counters_end_in_total_with_sorted_sanitized_labels_and_escaped_values()
    {
        var counter = _meter.CreateCounter<long>("test.requests", "{request}", "Requests \\ served\nso far.");
        counter.Add(2, new("b", "x\"y\\z"), new("a.b", 1));
        counter.Add(1, new("a.b", 1), new("b", "x\"y\\z"));
        counter.Add(5, new("a.b", 2), new("b", "plain"));

        var lines = Lines(_collector.Scrape());

        Assert.Contains("# HELP test_requests_total Requests \\\\ served\\nso far.", lines);
        Assert.Contains("# TYPE test_requests_total counter", lines);
        Assert.Contains("test_requests_total{a_b=\"1\",b=\"x\\\"y\\\\z\"} 3", lines);
        Assert.Contains("test_requests_total{a_b=\"2\",b=\"plain\"} 5", lines);
    }

    [Fact]
    public void Labels_prometheus_would_refuse_or_merge_are_left_out_or_renamed()
    {
        var counter = _meter.CreateCounter<long>("test.labelled", "{call}", "Calls.");
        counter.Add(1, new("empty", null), new("kind", "a"));
        counter.Add(2, new("empty", ""), new("kind", "a"));
        counter.Add(4, new("a.b", "dotted"), new("a_b", "underscored"), new("1st", "x"));

        var lines = Lines(_collector.Scrape());

        // An empty label is no label to Prometheus: both measurements are one series, written once.
        Assert.Contains("test_labelled_total{kind=\"a\"} 3", lines);
        // a.b and a_b sanitize to one name, which a series may carry once; a name may not start with a digit.
        Assert.Contains("test_labelled_total{_1st=\"x\",a_b=\"dotted\"} 4", lines);
        Assert.Equal(2, lines.Count(line => line.StartsWith("test_labelled_total", StringComparison.Ordinal)));
    }

    [Fact]
    public void An_instrument_whose_name_clashes_with_another_kind_is_left_out_and_the_first_keeps_its_counts()
    {
        var counter = _meter.CreateCounter<long>("test.clash", "{call}", "Calls.");
        counter.Add(5);
        var clashing = 0;
        _meter.CreateObservableGauge("test.clash.total", () => ++clashing, "{call}", "A gauge named as the counter's series.");
        _meter.CreateObservableCounter("test.clash", () => 100L, "{call}", "An observed counter named as the measured one.");
        var histogram = _meter.CreateHistogram<long>("test.size", "By", "Sizes.");
        histogram.Record(10);
        _meter.CreateObservableGauge("test.size.bytes.count", () => 1, "{size}", "A gauge named as the histogram's count.");

        _collector.Scrape();
        counter.Add(1);
        var lines = Lines(_collector.Scrape());

        Assert.Contains("# TYPE test_clash_total counter", lines);
        Assert.Contains("test_clash_total 6", lines);
        Assert.Contains("test_size_bytes_count 1", lines);
        Assert.DoesNotContain("# TYPE test_clash_total gauge", lines);
        Assert.DoesNotContain("# TYPE test_size_bytes_count gauge", lines);
        Assert.Equal(0, clashing);
        Assert.Equal([$"{_meterName}/test.clash", $"{_meterName}/test.clash.total", $"{_meterName}/test.size.bytes.count"], _collector.Refused.Order());
    }

    [Fact]
    public async Task Concurrent_measurements_of_one_series_are_all_counted()
    {
        // Every request updates the same series from every thread; the series take no lock, so nothing may be lost.
        var counter = _meter.CreateCounter<long>("test.hits", "{hit}", "Hits.");
        var gauge = _meter.CreateUpDownCounter<long>("test.active", "{request}", "In flight.");
        var histogram = _meter.CreateHistogram<double>("test.wait", "s", "Wait.");
        const int threads = 4;
        const int perThread = 50_000;
        using var start = new Barrier(threads);
        await Task.WhenAll(Enumerable.Range(0, threads).Select(t => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait();
                for (var i = 0; i < perThread; i++)
                {
                    counter.Add(1, new KeyValuePair<string, object?>("route", "/a"));
                    gauge.Add(1);
                    histogram.Record(0.25, new KeyValuePair<string, object?>("route", "/a"));
                    gauge.Add(-1);
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)));

        var lines = Lines(_collector.Scrape());

        const int total = threads * perThread;
        Assert.Contains($"test_hits_total{{route=\"/a\"}} {total}", lines);
        Assert.Contains("test_active 0", lines);
        Assert.Contains($"test_wait_seconds_count{{route=\"/a\"}} {total}", lines);
        Assert.Contains($"test_wait_seconds_bucket{{route=\"/a\",le=\"+Inf\"}} {total}", lines);
        Assert.Contains("test_wait_seconds_sum{route=\"/a\"} " + PrometheusText.Number(0.25 * total), lines);
    }

    [Fact]
    public void Histograms_in_seconds_have_cumulative_buckets_sum_and_count()
    {
        var histogram = _meter.CreateHistogram<double>("test.latency", "s", "Latency.");
        foreach (var value in new[] { 0.0004, 0.001, 0.003, 20.0 })
        {
            histogram.Record(value, new KeyValuePair<string, object?>("route", "/a"));
        }

        var lines = Lines(_collector.Scrape());

        Assert.Contains("# TYPE test_latency_seconds histogram", lines);
        Assert.Contains("test_latency_seconds_bucket{route=\"/a\",le=\"0.0005\"} 1", lines);
        Assert.Contains("test_latency_seconds_bucket{route=\"/a\",le=\"0.001\"} 2", lines);
        Assert.Contains("test_latency_seconds_bucket{route=\"/a\",le=\"0.002\"} 2", lines);
        Assert.Contains("test_latency_seconds_bucket{route=\"/a\",le=\"0.005\"} 3", lines);
        Assert.Contains("test_latency_seconds_bucket{route=\"/a\",le=\"10\"} 3", lines);
        Assert.Contains("test_latency_seconds_bucket{route=\"/a\",le=\"+Inf\"} 4", lines);
        Assert.Contains("test_latency_seconds_sum{route=\"/a\"} " + PrometheusText.Number(0.0004 + 0.001 + 0.003 + 20.0), lines);
        Assert.Contains("test_latency_seconds_count{route=\"/a\"} 4", lines);
    }

    [Fact]
    public void Observed_gauges_report_what_the_callback_reports_now_and_series_that_vanish_disappear()
    {
        var readings = new List<Measurement<int>> { new(3, new KeyValuePair<string, object?>("state", "a")), new(4, new KeyValuePair<string, object?>("state", "b")) };
        _meter.CreateObservableGauge("test.items", () => readings.ToArray(), "{item}", "Items.");

        var first = Lines(_collector.Scrape());
        Assert.Contains("# TYPE test_items gauge", first);
        Assert.Contains("test_items{state=\"a\"} 3", first);
        Assert.Contains("test_items{state=\"b\"} 4", first);

        readings.RemoveAt(1);
        readings[0] = new Measurement<int>(7, new KeyValuePair<string, object?>("state", "a"));
        var second = Lines(_collector.Scrape());
        Assert.Contains("test_items{state=\"a\"} 7", second);
        Assert.DoesNotContain(second, line => line.StartsWith("test_items{state=\"b\"}", StringComparison.Ordinal));
    }

    [Fact]
    public void Up_down_counters_are_gauges_of_their_running_sum()
    {
        var active = _meter.CreateUpDownCounter<long>("test.active", "{request}", "Active.");
        active.Add(3);
        active.Add(-1);

        var lines = Lines(_collector.Scrape());

        Assert.Contains("# TYPE test_active gauge", lines);
        Assert.Contains("test_active 2", lines);
    }

    [Fact]
    public void Meters_of_another_applications_factory_are_not_counted()
    {
        using var foreign = new Meter(new MeterOptions(_meterName) { Scope = new object() });
        foreign.CreateCounter<long>("test.foreign").Add(1);
        _meter.CreateCounter<long>("test.own").Add(1);

        var text = _collector.Scrape();

        Assert.Contains("test_own_total 1", Lines(text));
        Assert.DoesNotContain("test_foreign", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_measurements_are_all_counted()
    {
        var counter = _meter.CreateCounter<long>("test.concurrent");
        var histogram = _meter.CreateHistogram<double>("test.concurrent.latency", "s");
        const int Writers = 8;
        const int PerWriter = 20_000;
        using var start = new Barrier(Writers);

        await Task.WhenAll(Enumerable.Range(0, Writers).Select(writer => Task.Run(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < PerWriter; i++)
            {
                counter.Add(1, new KeyValuePair<string, object?>("writer", writer % 2));
                histogram.Record(0.001);
            }
        })));

        var lines = Lines(_collector.Scrape());
        Assert.Contains($"test_concurrent_total{{writer=\"0\"}} {Writers / 2 * PerWriter}", lines);
        Assert.Contains($"test_concurrent_total{{writer=\"1\"}} {Writers / 2 * PerWriter}", lines);
        Assert.Contains($"test_concurrent_latency_seconds_count {Writers * PerWriter}", lines);
    }

    [Fact]
    public void A_gauge_whose_callback_fails_is_left_out_and_logged_while_the_rest_of_the_scrape_is_written()
    {
        using var logs = new InMemoryLoggerProvider(LogLevel.Warning);
        using var collector = new MetricsCollector([_meterName], scope: null, logs.CreateLogger("metrics"));
        _meter.CreateObservableGauge("test.broken", Broken, "{item}", "Broken.");
        _meter.CreateObservableGauge("test.working", () => 7L, "{item}", "Working.");
        _meter.CreateCounter<long>("test.served", "{request}", "Served.").Add(3);

        var lines = Lines(collector.Scrape());

        Assert.Contains("test_working 7", lines);
        Assert.Contains("test_served_total 3", lines);
        Assert.DoesNotContain(lines, line => line.StartsWith("test_broken", StringComparison.Ordinal));
        var entry = Assert.Single(logs.Entries);
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.Contains("the gauge's source is gone", Assert.IsType<AggregateException>(entry.Exception).InnerExceptions.Single().Message);

        static long Broken() => throw new InvalidOperationException("the gauge's source is gone");
    }

    private static string[] Lines(string text) => text.Split('\n');
}
