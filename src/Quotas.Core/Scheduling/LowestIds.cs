namespace Quotas.Core.Scheduling;

/// <summary>Picks the jobs with the lowest ids after a cursor from jobs held in no particular order.</summary>
internal static class LowestIds
{
    /// <summary>
    /// Up to <paramref name="count"/> jobs with ids above <paramref name="after"/>, in id order; O(jobs × log count).
    /// </summary>
    public static List<Job> After(IEnumerable<Job> jobs, long after, int count)
    {
        // A max-heap of the lowest ids seen so far (keyed by the negated id), so each further job costs one compare.
        var lowest = new PriorityQueue<Job, long>(Math.Min(count, 64));
        foreach (var job in jobs)
        {
            if (job.Id <= after)
            {
                continue;
            }

            if (lowest.Count < count)
            {
                lowest.Enqueue(job, -job.Id);
            }
            else if (job.Id < lowest.Peek().Id)
            {
                lowest.DequeueEnqueue(job, -job.Id);
            }
        }

        var ordered = new List<Job>(lowest.Count);
        while (lowest.TryDequeue(out var job, out _))
        {
            ordered.Add(job);
        }

        ordered.Reverse();
        return ordered;
    }
}
