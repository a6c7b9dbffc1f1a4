namespace Quotas.Core.Scheduling;

public sealed partial class FairShareScheduler
{
    /// <summary>
    /// Queued jobs their tenant could not hold under the pool's current settings; see <see cref="SetAside"/>. A set, so
    /// that a job leaving it (cancelled, its tenant removed) costs O(1) however many wait: a capacity cut can set aside
    /// most of a deep queue. They go back into their tenants' queues, which order them, so the set needs no order.
    /// </summary>
    private readonly HashSet<Job> _setAside = [];

    /// <summary>
    /// Whether <paramref name="tenant"/> could hold <paramref name="demand"/> in an otherwise idle pool under its current
    /// settings: within capacity and the tenant's limit and, beyond the tenant's guarantee, outside the reserve (the
    /// rules of <see cref="Admits"/> with nothing else running).
    /// </summary>
    private bool CouldEverHold(TenantState tenant, long[] demand)
    {
        for (var i = 0; i < demand.Length; i++)
        {
            var d = demand[i];
            if (d > _capacity[i] || (tenant.Limit is { } limit && d > limit[i]) || OnlyTheReserveCouldHold(i, d, tenant.Guaranteed[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// True when <paramref name="demand"/> of resource <paramref name="i"/> lies beyond the tenant's guarantee and fits
    /// only if it takes the reserve, which borrowing never does (see <see cref="Admits"/>).
    /// </summary>
    private bool OnlyTheReserveCouldHold(int i, long demand, long guaranteed) =>
        demand > guaranteed && demand > _capacity[i] - _reserve[i];

    /// <summary>
    /// Takes a queued job its tenant could never hold (the capacity shrank, a limit or guarantee was lowered) out of
    /// its tenant's queue, so that it does not hold up the tenant's other jobs. It stays Queued, and counted, and goes
    /// back into the queue, in its place, when the pool's capacity or a tenant's settings change.
    /// </summary>
    private void SetAside(Job job)
    {
        ReclaimLater();
        job.Tenant.Queue.Dequeue().InTenantQueue = false;
        job.SetAside = true;
        VectorMath.Add(job.Tenant.SetAsideDemand ??= new Int128[_layout.Count], job.Dense);
        _setAside.Add(job);
    }

    /// <summary>Forgets that a job leaving the Queued state was set aside.</summary>
    private void LeaveSetAside(Job job)
    {
        if (job.SetAside)
        {
            job.SetAside = false;
            VectorMath.Subtract(job.Tenant.SetAsideDemand!, job.Dense);
            _setAside.Remove(job);
        }
    }

    /// <summary>Puts the jobs set aside back into their tenants' queues; the next lease sets aside those that still cannot run.</summary>
    private void ReturnSetAside()
    {
        ReclaimLater();
        foreach (var job in _setAside)
        {
            job.SetAside = false;
            job.Tenant.SetAsideDemand = null;
            job.Tenant.Queue.Enqueue(job, job.Key);
            job.InTenantQueue = true;
            if (!_ready.Contains(job.Tenant))
            {
                _ready.Add(job.Tenant);
            }
        }

        _setAside.Clear();
    }
}
