using Quotas.Core.Scheduling;

namespace Quotas.Grains.Scheduling;

/// <summary>The pool's configuration: creating it, replacing it, changing its capacity, and reading it.</summary>
public sealed partial class FairShareSchedulerGrain
{
    public Task<PoolConfig> Configure(PoolConfig config) => ConfigureAsync(config, mustExist: null);

    public Task<PoolConfig> CreatePool(PoolConfig config) => ConfigureAsync(config, mustExist: false);

    public Task<PoolConfig> ReplaceConfig(PoolConfig config) => ConfigureAsync(config, mustExist: true);

    public async Task<PoolConfig> UpdateCapacity(ResourceVector capacity)
    {
        ArgumentNullException.ThrowIfNull(capacity);
        var pool = Pool();
        ThrowIfDeleting();
        if (SameResources(pool.Config.Capacity, capacity))
        {
            pool.UpdateCapacity(capacity, _time.GetUtcNow());
        }
        else
        {
            var config = pool.Config with { Capacity = capacity };
            PoolGuarantees.EnsureFit(config, pool.Config);
            EnsureKeepsResources(config);
            Rebuild(config);
        }

        var applied = Pool().Config;
        await _commit.PersistAsync();
        return applied;
    }

    private static bool SameResources(ResourceVector current, ResourceVector next) =>
        current.Count == next.Count && Enumerable.Range(0, current.Count).All(i => current.NameAt(i) == next.NameAt(i));

    private void ThrowIfDeleting()
    {
        if (_deleting)
        {
            throw new SchedulingException(SchedulingErrorCodes.PoolBeingDeleted, $"Pool '{GetPrimaryKeyString()}' is being deleted; send the configuration again once the delete has ended.");
        }
    }

    /// <summary>Creates or replaces (<paramref name="mustExist"/> null), only creates (false) or only replaces (true).</summary>
    private async Task<PoolConfig> ConfigureAsync(PoolConfig config, bool? mustExist)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.Id != GetPrimaryKeyString())
        {
            throw new SchedulingException(SchedulingErrorCodes.InvalidPoolConfig, $"The configuration names pool '{config.Id}' but was sent to pool '{GetPrimaryKeyString()}'; send it to its own pool.");
        }

        ThrowIfDeleting();
        ThrowUnlessExpected(mustExist);
        PoolGuarantees.EnsureFit(config, _scheduler?.Config);
        TenantTiers.EnsureUsable(config);
        EnsureKeepsResources(config);

        if (_scheduler is null)
        {
            // Listed before it is stored: a listing may name a pool whose creation failed (readers skip it), but never
            // misses one that exists.
            var created = new FairShareScheduler(config, (tenant, _) => _admission.MayTry(tenant), trackChanges: true);
            created.ContinueJobIdsFrom(PoolRecords.StoredNextJobId(_entries.Entries));
            await Directory().Add(GetPrimaryKeyString());

            // The grain is reentrant: a change that created the pool meanwhile is replaced, as any configuration is,
            // checked against it as any change is.
            if (_scheduler is null)
            {
                _scheduler = created;
            }
            else
            {
                ThrowUnlessExpected(mustExist);
                PoolGuarantees.EnsureFit(config, _scheduler.Config);
                EnsureKeepsResources(config);
                Rebuild(config);
            }
        }
        else
        {
            Rebuild(config);
        }

        var applied = _scheduler.Config;
        await _commit.PersistAsync();
        return applied;
    }

    public Task<PoolConfig?> GetConfig() => Task.FromResult(_scheduler?.Config);

    private void ThrowUnlessExpected(bool? mustExist)
    {
        if (mustExist == false && _scheduler is not null)
        {
            throw new SchedulingException(SchedulingErrorCodes.PoolExists, $"Pool '{GetPrimaryKeyString()}' already exists; replace it with PUT /v1/pools/{GetPrimaryKeyString()}.");
        }

        if (mustExist == true)
        {
            _ = Pool();
        }
    }

    /// <summary>
    /// Refuses a configuration that leaves out a resource the pool offers: its jobs' demands, leases and usage are
    /// recorded in it. Resources may be added (every job asked for none of a new one).
    /// </summary>
    private void EnsureKeepsResources(PoolConfig config)
    {
        if (_scheduler?.Config.Capacity is not { } current || config.Capacity is null)
        {
            return;
        }

        var removed = Enumerable.Range(0, current.Count).Select(current.NameAt).Where(name => !config.Capacity.Contains(name)).ToList();
        if (removed.Count > 0)
        {
            throw new SchedulingException(
                SchedulingErrorCodes.InvalidPoolConfig,
                $"The configuration leaves out {string.Join(", ", removed.Select(name => $"'{name}'"))}, which pool '{GetPrimaryKeyString()}' offers; a pool's resources can be added to but not removed, as its jobs, leases and usage are recorded in them: keep them in the capacity, or create a new pool.");
        }
    }

    public Task<DateTimeOffset?> GetLastDeletedAt() => Task.FromResult(PoolRecords.LastDeletedAt(_entries.Entries));

    /// <summary>Rebuilds the pool with a new configuration, then re-balances it against the new capacity at once.</summary>
    private void Rebuild(PoolConfig config)
    {
        var next = Restore(Pool().ToSnapshot() with { Pool = config });
        next.UpdateCapacity(config.Capacity, _time.GetUtcNow());
        _scheduler = next;
        _rebuilt = true;
    }
}
