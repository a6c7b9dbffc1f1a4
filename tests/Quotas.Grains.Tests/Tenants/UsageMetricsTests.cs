using System.Diagnostics.Metrics;
using Grains.Testing;
using Quotas.Contracts;
using Quotas.Core.Tenants;

namespace Quotas.Grains.Tests.Tenants;

/// <summary>The decisions counter is process-wide: its tests run alone, so that no other test's usage is counted.</summary>
[CollectionDefinition(nameof(ProcessWideMetrics), DisableParallelization = true)]
public sealed class ProcessWideMetrics;

/// <summary>Usage is counted in <c>quotas_decisions_total</c> once stored, so a failed write and its retry count once.</summary>
[Collection(nameof(ProcessWideMetrics))]
public sealed class UsageMetricsTests
{
    [Fact]
    public async Task Usage_whose_write_failed_is_not_counted_as_recorded_and_its_retry_is_counted_once()
    {
        var faults = new StorageFaults();
        await using var cluster = await QuotaClusters.StartAsync(TestStorage.Sqlite(), faults, new ManualTimeProvider());
        var tenant = cluster.GrainFactory.GetGrain<ITenantGrain>("metered");
        await tenant.Create(TenantConfig.Create("metered", Tier.Basic, QuotaDefinition.Budget("cpu_ms", QuotaLimit.Unlimited, BudgetPeriod.Month)));
        using var counted = new UsageOutcomes();

        faults.FailWritesOf = "tenant";
        await Assert.ThrowsAnyAsync<Exception>(() => tenant.RecordUsage("e1", "cpu_ms", 5));
        var afterFailure = counted.Of("recorded");
        faults.FailWritesOf = null;
        await tenant.RecordUsage("e1", "cpu_ms", 5);
        await tenant.RecordUsage("e1", "cpu_ms", 5);

        Assert.Equal(0, afterFailure);
        Assert.Equal(1, counted.Of("recorded"));
        Assert.Equal(1, counted.Of("duplicate"));
    }

    /// <summary>The usage decisions measured while it lives, by outcome.</summary>
    private sealed class UsageOutcomes : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Dictionary<string, long> _counts = [];
        private readonly Lock _lock = new();

        public UsageOutcomes()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == QuotaMetrics.MeterName && instrument.Name == "quotas.decisions")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                string? kind = null, outcome = null;
                foreach (var tag in tags)
                {
                    (kind, outcome) = tag.Key switch
                    {
                        "kind" => (tag.Value as string, outcome),
                        "outcome" => (kind, tag.Value as string),
                        _ => (kind, outcome),
                    };
                }

                if (kind == "usage" && outcome is not null)
                {
                    lock (_lock)
                    {
                        _counts[outcome] = _counts.GetValueOrDefault(outcome) + value;
                    }
                }
            });
            _listener.Start();
        }

        public long Of(string outcome)
        {
            lock (_lock)
            {
                return _counts.GetValueOrDefault(outcome);
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}
