using System.Globalization;
using Quotas.Core.Scheduling;

namespace Quotas.Grains.Scheduling;

/// <summary>Turns a pool into stored entries and back: whole, or only what changed since the last write.</summary>
internal static class PoolRecords
{
    private const string ConfigKey = "config";
    private const string SequenceKey = "sequence";
    private const string DeletedKey = "deleted";
    private const string JobPrefix = "job/";
    private const string LeasesPrefix = "leases/";
    private const string UnreleasedPrefix = "unreleased/";
    private const string UsagePrefix = "usage/";
    private const string OwedPrefix = "owed/";
    private const string WaitPrefix = "wait/";

    /// <summary>The job id an entry's key names after <paramref name="prefix"/>.</summary>
    private static long JobOf(string key, string prefix) =>
        long.TryParse(key.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var job) && job > 0
            ? job
            : throw Unreadable(key, "its key names no job id");

    private static SchedulingException Unreadable(string key, string problem) =>
        new(SchedulingErrorCodes.InvalidArgument, $"Stored entry '{key}' cannot be restored: {problem}.");

    /// <summary>
    /// Rebuilds the snapshot (null when no pool is stored), the tenant leases held and those left to release, the usage
    /// owed and the budget waits from stored entries. Throws <see cref="SchedulingException"/> for an entry no pool could
    /// have written.
    /// </summary>
    public static StoredPool Read(IReadOnlyDictionary<string, PoolRecord> entries)
    {
        PoolConfig? config = null;
        var next = 1L;
        var jobs = new List<JobInfo>();
        var usage = new List<TenantUsageSnapshot>();
        var leases = new Dictionary<long, List<string>>();
        var unreleased = new Dictionary<long, UnreleasedLeases>();
        var owed = new Dictionary<long, JobInfo>();
        var waits = new Dictionary<string, BudgetWait>(StringComparer.Ordinal);
        var undelivered = new List<JobId>();
        foreach (var (key, record) in entries)
        {
            if (record.Config is { } c)
            {
                config = c;
            }
            else if (record.NextJobId is { } n)
            {
                next = n;
            }
            else if (record.Job is { } job)
            {
                if (key != JobKey(job.Id))
                {
                    throw Unreadable(key, $"it holds job {job.Id}, whose entry is '{JobKey(job.Id)}'");
                }

                jobs.Add(job);
                if (record.PreemptionUndelivered == true)
                {
                    undelivered.Add(job.Id);
                }
            }
            else if (record.Usage is { } u)
            {
                usage.Add(u);
            }
            else if (record.TenantLeases is { } held && key.StartsWith(LeasesPrefix, StringComparison.Ordinal))
            {
                leases[JobOf(key, LeasesPrefix)] = held;
            }
            else if (record.UnreleasedLeases is { } left && key.StartsWith(UnreleasedPrefix, StringComparison.Ordinal))
            {
                unreleased[JobOf(key, UnreleasedPrefix)] = left;
            }
            else if (record.OwedUsage is { } debt)
            {
                owed[debt.Id.Value] = debt;
            }
            else if (record.BudgetWait is { } wait && key.StartsWith(WaitPrefix, StringComparison.Ordinal))
            {
                waits[key[WaitPrefix.Length..]] = wait;
            }
        }

        jobs.Sort(static (a, b) => a.Id.Value.CompareTo(b.Id.Value));
        var snapshot = config is null ? null : new SchedulerSnapshot { Pool = config, Jobs = jobs, Usage = usage, NextJobId = next, UndeliveredPreemptions = undelivered };
        return new StoredPool(snapshot, leases, unreleased, owed, waits);
    }

    /// <summary>The id the next job of the stored pool gets; 1 when none was stored.</summary>
    public static long StoredNextJobId(IReadOnlyDictionary<string, PoolRecord> entries) =>
        entries.TryGetValue(SequenceKey, out var sequence) && sequence.NextJobId is { } next ? next : 1;

    /// <summary>
    /// What deleting the pool writes: every entry goes but the sequence, which stays at <paramref name="nextJobId"/>,
    /// so a pool created again under the same id numbers its jobs on from there (see <see cref="PoolRecord.NextJobId"/>),
    /// and the deletion time, set to <paramref name="now"/> (see <see cref="PoolRecord.DeletedAt"/>).
    /// </summary>
    public static List<KeyValuePair<string, PoolRecord?>> Retired(IReadOnlyDictionary<string, PoolRecord> stored, long nextJobId, DateTimeOffset now)
    {
        var changes = new List<KeyValuePair<string, PoolRecord?>>(stored.Count + 2);
        foreach (var key in stored.Keys)
        {
            if (key is not SequenceKey and not DeletedKey)
            {
                changes.Add(new(key, null));
            }
        }

        changes.Add(new(SequenceKey, new PoolRecord { NextJobId = Math.Max(nextJobId, StoredNextJobId(stored)) }));
        changes.Add(new(DeletedKey, new PoolRecord { DeletedAt = now }));
        return changes;
    }

    /// <summary>
    /// The tenant leases the stored entries hold for a job they have running (leased); none when its lease ended there,
    /// or the job is gone.
    /// </summary>
    public static IReadOnlyCollection<string> HeldForStoredRunningJob(IReadOnlyDictionary<string, PoolRecord> entries, long job) =>
        entries.TryGetValue(JobKey(new JobId(job)), out var stored) && stored.Job is { State: JobState.Leased }
        && entries.TryGetValue(LeasesKey(job), out var leases) && leases.TenantLeases is { } held
            ? held
            : [];

    /// <summary>When a pool of this id was last deleted; null when none was.</summary>
    public static DateTimeOffset? LastDeletedAt(IReadOnlyDictionary<string, PoolRecord> entries) =>
        entries.TryGetValue(DeletedKey, out var deleted) ? deleted.DeletedAt : null;

    /// <summary>The entries of a whole pool.</summary>
    public static Dictionary<string, PoolRecord> All(
        SchedulerSnapshot snapshot,
        IReadOnlyDictionary<long, List<string>> tenantLeases,
        IReadOnlyDictionary<long, UnreleasedLeases> unreleased,
        IReadOnlyDictionary<long, JobInfo> owed,
        IReadOnlyDictionary<string, BudgetWait> waits)
    {
        var all = new Dictionary<string, PoolRecord>(StringComparer.Ordinal)
        {
            [ConfigKey] = new() { Config = snapshot.Pool },
            [SequenceKey] = new() { NextJobId = snapshot.NextJobId },
        };
        var undelivered = snapshot.UndeliveredPreemptions.ToHashSet();
        foreach (var job in snapshot.Jobs)
        {
            all[JobKey(job.Id)] = JobRecord(job, undelivered);
        }

        foreach (var usage in snapshot.Usage)
        {
            all[UsagePrefix + usage.Tenant.Value] = new() { Usage = usage };
        }

        foreach (var (job, held) in tenantLeases)
        {
            all[LeasesKey(job)] = new() { TenantLeases = held };
        }

        foreach (var (job, left) in unreleased)
        {
            all[UnreleasedKey(job)] = new() { UnreleasedLeases = left };
        }

        foreach (var (job, debt) in owed)
        {
            all[OwedKey(job)] = new() { OwedUsage = debt };
        }

        foreach (var (tenant, wait) in waits)
        {
            all[WaitPrefix + tenant] = new() { BudgetWait = wait };
        }

        return all;
    }

    /// <summary>
    /// Adds to <paramref name="into"/> what turns the <paramref name="stored"/> entries into <paramref name="all"/>:
    /// removals, new entries and entries whose value differs. A pool rebuilt with a new configuration thus writes its
    /// configuration and the jobs the re-balance changed, not every job again. Configuration and usage entries (one
    /// per pool and per tenant) are written whether or not they changed.
    /// </summary>
    public static void AddDifferences(List<KeyValuePair<string, PoolRecord?>> into, IReadOnlyDictionary<string, PoolRecord> all, IReadOnlyDictionary<string, PoolRecord> stored)
    {
        foreach (var key in stored.Keys)
        {
            // The deletion time outlives the pool's own entries (see PoolRecord.DeletedAt).
            if (!all.ContainsKey(key) && key != DeletedKey)
            {
                into.Add(new(key, null));
            }
        }

        foreach (var (key, record) in all)
        {
            if (!stored.TryGetValue(key, out var old) || !Same(old, record))
            {
                into.Add(new(key, record));
            }
        }
    }

    /// <summary>
    /// Adds to <paramref name="into"/> what a change set means for the <paramref name="stored"/> entries. The sequence
    /// entry is written only when a submission moved it: leases, heartbeats and completions leave it as stored.
    /// </summary>
    public static void AddChanges(List<KeyValuePair<string, PoolRecord?>> into, SchedulerChanges changes, IReadOnlyDictionary<string, PoolRecord> stored)
    {
        if (changes.PoolChanged)
        {
            into.Add(new(ConfigKey, new PoolRecord { Config = changes.Pool }));
        }

        if (!stored.TryGetValue(SequenceKey, out var sequence) || sequence.NextJobId != changes.NextJobId)
        {
            into.Add(new(SequenceKey, new PoolRecord { NextJobId = changes.NextJobId }));
        }

        var undelivered = (changes.UndeliveredPreemptions ?? []).ToHashSet();
        foreach (var job in changes.Jobs)
        {
            into.Add(new(JobKey(job.Id), JobRecord(job, undelivered)));
        }

        foreach (var id in changes.Forgotten)
        {
            into.Add(new(JobKey(id), null));
        }

        // Usage that says nothing more (a tenant deleted here) is removed, as a snapshot leaves it out.
        foreach (var usage in changes.Usage)
        {
            into.Add(new(UsagePrefix + usage.Tenant.Value, usage.SaysNothing() ? null : new PoolRecord { Usage = usage }));
        }
    }

    /// <summary>Adds the tenant leases of a job as they are now: the lease ids, or removal when none are held.</summary>
    public static void AddTenantLeases(List<KeyValuePair<string, PoolRecord?>> into, long job, List<string>? held) =>
        into.Add(new(LeasesKey(job), held is null ? null : new PoolRecord { TenantLeases = held }));

    /// <summary>Adds the tenant leases of a job left to release as they are now: the leases, or removal once released.</summary>
    public static void AddUnreleased(List<KeyValuePair<string, PoolRecord?>> into, long job, UnreleasedLeases? left) =>
        into.Add(new(UnreleasedKey(job), left is null ? null : new PoolRecord { UnreleasedLeases = left }));

    /// <summary>Adds the usage owed for a job as it is now: the completed job, or removal once paid.</summary>
    public static void AddOwed(List<KeyValuePair<string, PoolRecord?>> into, long job, JobInfo? owed) =>
        into.Add(new(OwedKey(job), owed is null ? null : new PoolRecord { OwedUsage = owed }));

    /// <summary>Adds what holds a tenant back as it is now: the budget wait, or removal when none does.</summary>
    public static void AddBudgetWait(List<KeyValuePair<string, PoolRecord?>> into, string tenant, BudgetWait? wait) =>
        into.Add(new(WaitPrefix + tenant, wait is null ? null : new PoolRecord { BudgetWait = wait }));

    /// <summary>A job's entry, with whether its mark was not yet delivered (see <see cref="PoolRecord.PreemptionUndelivered"/>).</summary>
    private static PoolRecord JobRecord(JobInfo job, HashSet<JobId> undelivered) =>
        new() { Job = job, PreemptionUndelivered = undelivered.Contains(job.Id) ? true : null };

    private static bool Same(PoolRecord a, PoolRecord b) =>
        a.Job is { } job ? job.Equals(b.Job) && a.PreemptionUndelivered == b.PreemptionUndelivered
        : a.OwedUsage is { } debt ? debt.Equals(b.OwedUsage)
        : a.NextJobId is { } next ? next == b.NextJobId
        : a.BudgetWait is { } wait ? wait.Equals(b.BudgetWait)
        : a.UnreleasedLeases is { } left ? b.UnreleasedLeases is { } right && left.Tenant == right.Tenant && left.LeaseIds.SequenceEqual(right.LeaseIds)
        : a.TenantLeases is { } leases && b.TenantLeases is { } other && leases.SequenceEqual(other);

    private static string JobKey(JobId id) => JobPrefix + id.Value.ToString(CultureInfo.InvariantCulture);

    private static string OwedKey(long job) => OwedPrefix + job.ToString(CultureInfo.InvariantCulture);

    private static string LeasesKey(long job) => LeasesPrefix + job.ToString(CultureInfo.InvariantCulture);

    private static string UnreleasedKey(long job) => UnreleasedPrefix + job.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// A pool as read from its entries: the scheduler's snapshot (null when no pool is stored), the tenant leases held per
/// job and those left to release, the usage owed per job and the tenants budgets hold back.
/// </summary>
internal sealed record StoredPool(
    SchedulerSnapshot? Snapshot,
    Dictionary<long, List<string>> TenantLeases,
    Dictionary<long, UnreleasedLeases> Unreleased,
    Dictionary<long, JobInfo> Owed,
    Dictionary<string, BudgetWait> BudgetWaits);
