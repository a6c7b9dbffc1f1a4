namespace Quotas.LoadTest.Load;

/// <summary>What the peak search reads from a target's server processes before and after each step.</summary>
internal interface IServerMeter
{
    /// <summary>CPU time used so far by every process of the target (a Redis baseline counts redis-server too).</summary>
    TimeSpan ServerProcessorTime();

    /// <summary>The measured server process's collector so far; null when it cannot say.</summary>
    Task<GcFigures?> ServerGcAsync(CancellationToken cancellationToken);
}
