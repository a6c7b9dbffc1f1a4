using System.Diagnostics;
using System.Globalization;
using Quotas.LoadTest.Load.Http;
using Quotas.LoadTest.Options;

namespace Quotas.LoadTest.Load;

/// <summary>
/// Finds the highest rate a target sustains (no errors, at least 95 % of the offered rate achieved, p99 at most
/// 100 ms): climbs by 1.5x from the start rate until a step is not sustained (or halves down when the first is not),
/// bisects between the last sustained and the first unsustained rate, then measures latency at half of that peak.
/// A first "prime" step at the start rate warms the target up and is reported but not judged.
/// </summary>
internal sealed class PeakSearch
{
    private const double Growth = 1.5;
    private const double MinRate = 50;
    private const double MaxRate = 2_000_000;
    private const string PrimePhase = "prime";
    private const string ReferencePhase = "gateway's half peak";

    /// <summary>Open-model requests do not wait for each other: while the server queues them they need connections.</summary>
    private const int MaxConnections = 256;
    private static readonly TimeSpan s_settleAfterSustained = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan s_settleAfterOverload = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan s_backlogTimeout = TimeSpan.FromSeconds(60);

    private readonly LoadTestOptions _options;
    private readonly int[] _tenantSequence;
    private readonly TextWriter _log;

    public PeakSearch(LoadTestOptions options, int[] tenantSequence, TextWriter log)
    {
        _options = options;
        _tenantSequence = tenantSequence;
        _log = log;
    }

    /// <remarks>server: the target's CPU time and collector figures, read before and after each step.</remarks>
    /// <param name="referenceRate">
    /// When given (the gateway's half-peak rate of the same round), one more step at that rate, so that the tail at
    /// the gateway's half peak can be compared with what this target, and the machine, show at the same load.
    /// </param>
    public async Task<TargetResult> RunAsync(string name, string description, RequestPlan plan, IServerMeter server, double? referenceRate, CancellationToken cancellationToken)
    {
        using var generator = Process.GetCurrentProcess();
        using var client = new LoopbackClient(plan.EndPoint, MaxConnections);
        var steps = new List<MeasuredStep>();

        async Task<StepResult> Step(string phase, double rate, TimeSpan duration)
        {
            var step = new OpenLoopStep(client, plan, _tenantSequence, rate, _options.Warmup, duration, _options.MaxOutstanding);
            var gcBefore = await server.ServerGcAsync(cancellationToken);
            var serverBefore = server.ServerProcessorTime();
            var generatorBefore = ProcessorTime(generator);
            var clock = Stopwatch.StartNew();
            var result = await step.RunAsync(cancellationToken);
            var serverCpu = server.ServerProcessorTime() - serverBefore;
            var generatorCpu = ProcessorTime(generator) - generatorBefore;
            var gc = await server.ServerGcAsync(cancellationToken) - gcBefore;
            var seconds = clock.Elapsed.TotalSeconds;
            result = result with
            {
                ServerCpuMicroseconds = PerResponse(serverCpu.TotalMicroseconds, result.Responses),
                GeneratorCpuMicroseconds = PerResponse(generatorCpu.TotalMicroseconds, result.Responses),
                ServerBytesPerResponse = PerResponse(gc?.AllocatedBytes, result.Responses),
                ServerCollectionsPerSecond = gc?.Collections / seconds,
                ServerPauseMillisecondsPerSecond = gc?.Paused.TotalMilliseconds / seconds,
                GeneratorBusy = generatorCpu.TotalSeconds / (seconds * Environment.ProcessorCount),
            };
            steps.Add(new MeasuredStep(phase, result));
            _log.WriteLine(Describe(name, phase, result));
            await AwaitBacklogAsync(name, step, cancellationToken);
            // Let the server finish what it still holds (longer after an overload), so one step does not spill into the next.
            await Task.Delay(result.Sustained ? s_settleAfterSustained : s_settleAfterOverload, cancellationToken);
            return result;
        }

        // A cold target (JIT, first activations, empty pools) must not steer the search: the first step only primes it.
        await Step(PrimePhase, _options.StartRate, _options.StepDuration);

        StepResult? best = null;
        StepResult? firstMiss = null;
        void Keep(StepResult result)
        {
            if (result.Sustained)
            {
                best = best is null || result.AchievedPerSecond > best.AchievedPerSecond ? result : best;
            }
            else if (firstMiss is null || result.OfferedPerSecond < firstMiss.OfferedPerSecond)
            {
                firstMiss = result;
            }
        }

        for (var rate = _options.StartRate; rate <= MaxRate && firstMiss is null; rate *= Growth)
        {
            Keep(await Step("climb", rate, _options.StepDuration));
        }

        for (var rate = _options.StartRate / 2; best is null && rate >= MinRate; rate /= 2)
        {
            Keep(await Step("descend", rate, _options.StepDuration));
        }

        for (var n = 0; n < _options.Refinements && best is not null && firstMiss is not null; n++)
        {
            Keep(await Step("refine", (best.OfferedPerSecond + firstMiss.OfferedPerSecond) / 2, _options.StepDuration));
        }

        var halfPeak = best is null ? null : await Step("half peak", best.AchievedPerSecond / 2, _options.HalfPeakDuration);
        var atReference = referenceRate is { } reference ? await Step(ReferencePhase, reference, _options.HalfPeakDuration) : null;
        return new TargetResult(name, description, steps, best, halfPeak) { AtGatewayHalfPeak = atReference, FirstMiss = firstMiss };
    }

    /// <summary>
    /// Waits (at most <see cref="s_backlogTimeout"/>) for the requests a step whose drain timed out still has in flight:
    /// the next step would otherwise start with them holding connections and the server's time, and measure them too.
    /// </summary>
    private async Task AwaitBacklogAsync(string name, OpenLoopStep step, CancellationToken cancellationToken)
    {
        if (step.AllAnswered.IsCompleted)
        {
            return;
        }

        _log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name,-9} waiting for the step's {step.Unanswered:N0} unanswered requests before the next step"));
        try
        {
            await step.AllAnswered.WaitAsync(s_backlogTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            _log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {name,-9} {step.Unanswered:N0} requests still unanswered after {s_backlogTimeout.TotalSeconds:0} s more: the next step starts with them in flight"));
        }
    }

    private static TimeSpan ProcessorTime(Process process)
    {
        process.Refresh();
        return process.TotalProcessorTime;
    }

    private static double? PerResponse(double? total, long responses) =>
        responses > 0 && total > 0 ? total / responses : null;

    private static string Describe(string name, string phase, StepResult r) => string.Create(CultureInfo.InvariantCulture,
        $"  {name,-9} {phase,-9} offered {r.OfferedPerSecond,9:N0}/s  achieved {r.AchievedPerSecond,9:N0}/s  ok {r.Ok,9:N0}  429 {r.Refused,8:N0}  errors {r.Errors,6:N0}  " +
        $"p50 {r.P50Milliseconds,7:0.00}  p95 {r.P95Milliseconds,7:0.00}  p99 {r.P99Milliseconds,7:0.00} ms  send lag p99 {r.SendLagP99Milliseconds,5:0.00} ms  " +
        $"cpu/req server {r.ServerCpuMicroseconds,5:0.0} us generator {r.GeneratorCpuMicroseconds,5:0.0} us (busy {r.GeneratorBusy,4:0%})  " +
        $"server alloc/req {r.ServerBytesPerResponse,6:N0} B  GCs/s {r.ServerCollectionsPerSecond,5:0.0}  paused {r.ServerPauseMillisecondsPerSecond,5:0.0} ms/s  {r.Verdict}");
}
