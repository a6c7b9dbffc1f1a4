namespace Grains.Messaging;

/// <summary>
/// Counts the calls received from other processes that have not been answered, by cohort: the calls that arrived
/// between two cuts. A stopping silo cuts, then waits for the cohort that ended (and those before it) to be answered,
/// while calls that arrive after the cut count in the next cohort and do not hold that wait.
/// </summary>
internal sealed class InboundCallTracker
{
    private Cohort _current = new(null);

    /// <summary>Counts a call just received; the caller tells the cohort returned once the call is answered.</summary>
    public Cohort Started()
    {
        var cohort = Volatile.Read(ref _current);
        cohort.Add();
        return cohort;
    }

    /// <summary>
    /// Ends the current cohort and returns it: its <see cref="Cohort.Answered"/> says whether every call received before
    /// the cut has been answered. A call counted as the cut happens may fall in either cohort.
    /// </summary>
    public Cohort Cut()
    {
        while (true)
        {
            var ended = Volatile.Read(ref _current);
            if (Interlocked.CompareExchange(ref _current, new Cohort(ended), ended) == ended)
            {
                return ended;
            }
        }
    }

    /// <summary>The calls received between two cuts; <paramref name="earlier"/> is the cohort before it.</summary>
    internal sealed class Cohort(Cohort? earlier)
    {
        private int _unanswered;

        /// <summary>Whether every call of this cohort and of those before it has been answered.</summary>
        public bool Answered => Volatile.Read(ref _unanswered) == 0 && (earlier is null || earlier.Answered);

        public void Completed() => Interlocked.Decrement(ref _unanswered);

        internal void Add() => Interlocked.Increment(ref _unanswered);
    }
}
