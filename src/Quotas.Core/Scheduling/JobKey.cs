namespace Quotas.Core.Scheduling;

/// <summary>
/// Order within a tenant. Effective priority p + (now - enqueued) * rate ranks jobs the same way at every instant as
/// enqueued * rate - p, which never changes while the job waits, so a plain heap stays valid as jobs age.
/// </summary>
internal readonly struct JobKey : IComparable<JobKey>
{
    public JobKey(double rank, long sequence)
    {
        Rank = rank;
        Sequence = sequence;
    }

    public double Rank { get; }

    public long Sequence { get; }

    public static JobKey For(int priority, DateTimeOffset enqueuedAt, double agingPerSecond, long sequence)
    {
        var seconds = (enqueuedAt.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / (double)TimeSpan.TicksPerSecond;
        return new JobKey((seconds * agingPerSecond) - priority, sequence);
    }

    public int CompareTo(JobKey other)
    {
        var c = Rank.CompareTo(other.Rank);
        return c != 0 ? c : Sequence.CompareTo(other.Sequence);
    }
}
