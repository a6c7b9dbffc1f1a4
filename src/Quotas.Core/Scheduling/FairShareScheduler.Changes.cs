namespace Quotas.Core.Scheduling;

public sealed partial class FairShareScheduler
{
    // A job record is reused once forgotten, so each change remembers the id it was made under.
    private readonly List<(Job Job, long Id)> _changedJobs = [];
    private readonly List<long> _forgottenJobs = [];
    private readonly List<TenantState> _changedUsage = [];
    private readonly bool _trackChanges;
    private bool _poolChanged = true;

    /// <summary>Whether jobs were forgotten (finished and past their retention) since the last <see cref="TakeChanges"/>.</summary>
    public bool ForgotSinceTaken => _forgottenJobs.Count > 0;

    /// <summary>
    /// Returns what changed since the previous call and starts counting afresh; only for a scheduler created with
    /// trackChanges. A new scheduler reports its configuration; one rebuilt by <see cref="FromSnapshot"/> reports nothing.
    /// </summary>
    public SchedulerChanges TakeChanges()
    {
        if (!_trackChanges)
        {
            throw new InvalidOperationException("This scheduler was created without trackChanges; create it with trackChanges: true to take its changes.");
        }

        SettleReclaim(); // what is stored is evaluated


        var jobs = new List<JobInfo>(_changedJobs.Count);
        List<JobId>? undelivered = null;
        foreach (var (job, id) in _changedJobs)
        {
            if (job.Id == id && job.Changed)
            {
                job.Changed = false;
                jobs.Add(job.ToInfo());
                if (job.PreemptionRequested && !job.PreemptionDelivered)
                {
                    (undelivered ??= []).Add(new JobId(id));
                }
            }
        }

        var usage = new List<TenantUsageSnapshot>(_changedUsage.Count);
        foreach (var tenant in _changedUsage)
        {
            tenant.UsageChanged = false;
            usage.Add(UsageSnapshot(tenant));
        }

        var forgotten = _forgottenJobs.ConvertAll(id => new JobId(id));
        var changes = new SchedulerChanges(_poolChanged, _config, _nextJobId, jobs, forgotten, usage, undelivered);
        _changedJobs.Clear();
        _forgottenJobs.Clear();
        _changedUsage.Clear();
        _poolChanged = false;
        return changes;
    }

    private void Changed(Job job)
    {
        if (_trackChanges && !job.Changed)
        {
            job.Changed = true;
            _changedJobs.Add((job, job.Id));
        }
    }

    private void UsageChanged(TenantState tenant)
    {
        if (_trackChanges && !tenant.UsageChanged)
        {
            tenant.UsageChanged = true;
            _changedUsage.Add(tenant);
        }
    }

    private void Forgotten(Job job)
    {
        if (_trackChanges)
        {
            job.Changed = false;
            _forgottenJobs.Add(job.Id);
        }
    }

    private TenantUsageSnapshot UsageSnapshot(TenantState tenant)
    {
        var history = new Dictionary<string, double>(StringComparer.Ordinal);
        for (var i = 0; i < _layout.Count; i++)
        {
            history[_layout.NameAt(i)] = tenant.History[i];
        }

        return new TenantUsageSnapshot(tenant.Id, tenant.CompletedCount, _layout.ToVector(tenant.ReportedUsage), history, tenant.HistoryAt, tenant.Tier);
    }
}
