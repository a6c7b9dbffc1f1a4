namespace Quotas.LoadTest.Options;

/// <summary>What one run measures and for how long. Defaults are those of a full run; <c>--quick</c> shortens the steps.</summary>
internal sealed record LoadTestOptions
{
    /// <summary>Traffic before the measured part of every step: connections open, JIT tiers up, grains activate.</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Measured time of one step of the peak search; the half-peak run measures twice as long.</summary>
    public TimeSpan StepDuration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Bisection steps between the last sustained rate and the first one that was not.</summary>
    public int Refinements { get; init; } = 2;

    public bool Quick { get; init; }

    /// <summary>
    /// Times every target is measured, in alternating order (all targets, then all again): the checks compare medians,
    /// so one noisy search on shared cores does not decide a target.
    /// </summary>
    public int Rounds { get; init; } = 3;

    /// <summary>Tenants that share the traffic (Zipf-distributed).</summary>
    public int Tenants { get; init; } = 100;

    /// <summary>Requests each tenant may make per window, in the product's quota and in both limiter baselines.</summary>
    public long Limit { get; init; } = 1_000;

    public int WindowSeconds { get; init; } = 1;

    /// <summary>First offered rate of the peak search, requests per second; each next step offers 1.5 times more.</summary>
    public double StartRate { get; init; } = 2_000;

    /// <summary>Targets in the order they run.</summary>
    public IReadOnlyList<string> Targets { get; init; } = [];

    /// <summary>Npgsql connection string for the cluster target (its silo and gateway keep membership and state there).</summary>
    public string? PostgresConnectionString { get; init; }

    /// <summary>
    /// CPUs every server under test runs on (with <c>taskset</c>), redis-server included; null when the servers and the
    /// generator share every CPU (<c>--shared-cores</c>). run.sh gives the generator the last CPU and the servers the rest.
    /// </summary>
    public CpuList? ServerCpus { get; init; }

    /// <summary>CPUs the generator itself may run on, as found at the start (for the report); null where Linux does not say.</summary>
    public CpuList? GeneratorCpus { get; init; }

    /// <summary>Markdown file the report is appended to, if any.</summary>
    public string? OutputPath { get; init; }

    /// <summary>Requests in flight beyond which a due request is dropped (and counted as an error) rather than sent.</summary>
    public int MaxOutstanding { get; init; } = 10_000;

    public double ZipfExponent { get; init; } = 1.0;

    public int Seed { get; init; } = 42;

    public TimeSpan HalfPeakDuration => StepDuration * 2;
}
