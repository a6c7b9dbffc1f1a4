using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Quotas.Core.Tenants;
using Quotas.Grains.Scheduling;

namespace Quotas.Grains;

/// <summary>
/// The service's instruments on the <c>Quotas</c> meter: admission decisions by kind and outcome, and the queue depths
/// of the pools active in this process. No tenant or pool labels: per-tenant figures belong to the usage API.
/// </summary>
public static class QuotaMetrics
{
    public const string MeterName = "Quotas";

    private static readonly Meter s_meter = new(MeterName);
    private static readonly Counter<long> s_decisions = s_meter.CreateCounter<long>("quotas.decisions", "{decision}", "Admission decisions, by kind (lease, rate, reported, budget, usage) and outcome.");
    private static readonly ConcurrentDictionary<FairShareSchedulerGrain, byte> s_pools = new();

    static QuotaMetrics()
    {
        s_meter.CreateObservableGauge("quotas.scheduler.pools", () => (long)s_pools.Keys.Count(p => p.Exists), "{pool}", "Pools active in this process.");
        s_meter.CreateObservableGauge("quotas.scheduler.queued_jobs", () => s_pools.Keys.Sum(p => (long)p.QueuedJobs), "{job}", "Jobs waiting in the pools active in this process.");
        s_meter.CreateObservableGauge("quotas.scheduler.running_jobs", () => s_pools.Keys.Sum(p => (long)p.RunningJobs), "{job}", "Jobs leased to workers in the pools active in this process.");
    }

    internal static void Decided(string kind, AdmissionDecision decision) => s_decisions.Add(1, new("kind", kind), new("outcome", Outcome(decision)));

    internal static void Decided(string kind, bool allowed) => s_decisions.Add(1, new("kind", kind), new("outcome", allowed ? "allowed" : "denied"));

    internal static void Recorded(UsageRecord record) =>
        s_decisions.Add(1, new("kind", "usage"), new("outcome", record.Duplicate ? "duplicate" : record.OverLimit ? "over_limit" : "recorded"));

    internal static void PoolActivated(FairShareSchedulerGrain pool) => s_pools.TryAdd(pool, 0);

    internal static void PoolDeactivated(FairShareSchedulerGrain pool) => s_pools.TryRemove(pool, out _);

    private static string Outcome(AdmissionDecision decision) => decision switch
    {
        AdmissionDecision.Allow => "allowed",
        AdmissionDecision.Queue => "queued",
        _ => "denied",
    };
}
