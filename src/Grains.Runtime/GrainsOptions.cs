namespace Grains;

/// <summary>Silo settings, bound from the "Grains" configuration section. Defaults are listed on each property.</summary>
public sealed class GrainsOptions
{
    public const string SectionName = "Grains";

    /// <summary>Names the service whose grain state the silo reads and writes; part of every stored row's key. Default "default".</summary>
    public string ServiceId { get; set; } = "default";

    /// <summary>How long a caller waits for a grain call before <see cref="GrainCallTimeoutException"/>. Default 30 s.</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Retry a call whose connection was lost after it was sent (it may have run) even when its method is not
    /// [Idempotent]. Calls that surely did not run are always retried. Default false.
    /// </summary>
    public bool RetryCallsWithUnknownOutcome { get; set; }

    /// <summary>
    /// The most calls one activation keeps waiting while it is busy (a grain that is not reentrant runs one call at a
    /// time); one more from outside any grain fails at once with <see cref="GrainOverloadedException"/>, run nowhere,
    /// rather than wait in memory until its caller gives up, so that a flood at one grain costs bounded memory and its
    /// callers hear early. Calls that grains make are never refused. 0: no bound. Default 2,000: a grain that answers
    /// from memory works through that many in milliseconds, one that writes storage on each call in a few seconds.
    /// </summary>
    public int MaxQueuedCallsPerActivation { get; set; } = 2_000;

    /// <summary>An activation idle this long is deactivated. Default 15 min.</summary>
    public TimeSpan CollectionAge { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How often idle activations are looked for. Default 1 min.</summary>
    public TimeSpan CollectionQuantum { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long an activation may take to read its state and run <see cref="Grain.OnActivateAsync"/>: then its token is
    /// cancelled, the calls waiting for it fail with <see cref="GrainActivationTimeoutException"/> (they did not run), and
    /// the next call activates the grain afresh, rather than every later call waiting on an activation that never ends.
    /// Default 2 min: a pool of 1,000,000 queued jobs (the most one queues by default) took 10 to 11 s to activate on the
    /// project's 2-core machine, from PostgreSQL or SQLite, and a loaded or slower host must not be refused it.
    /// </summary>
    public TimeSpan ActivationTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long <see cref="Grain.OnDeactivateAsync"/> may run before the activation is dropped anyway, its later state
    /// writes refused; then as long again at most for the writes it had under way to end. Default 30 s.
    /// </summary>
    public TimeSpan DeactivationTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
