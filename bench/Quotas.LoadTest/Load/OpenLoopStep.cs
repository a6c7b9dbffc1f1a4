using System.Diagnostics;
using Quotas.LoadTest.Load.Http;

namespace Quotas.LoadTest.Load;

/// <summary>
/// One step of the open model at a fixed rate: request i is due at start + i / rate, whatever happened to the earlier
/// ones, and its latency runs from that due time to the end of its response. A server that falls behind therefore
/// shows as latency (queueing) instead of silently slowing the sender down (coordinated omission).
/// </summary>
internal sealed class OpenLoopStep : IResponseSink
{
    private const int SequenceMask = ZipfSequence.Length - 1;

    /// <summary>Requests still unanswered this long after the last was due are not coming: the step fails.</summary>
    private static readonly TimeSpan s_drainTimeout = TimeSpan.FromSeconds(15);

    private readonly TimeSpan _drainTimeout;

    private readonly LoopbackClient _client;
    private readonly RequestPlan _plan;
    private readonly int[] _tenantSequence;
    private readonly double _rate;
    private readonly long _warmupRequests;
    private readonly long _totalRequests;
    private readonly double _ticksPerRequest;
    private readonly int _maxOutstanding;
    private readonly LatencyHistogram _latency = new();
    private readonly LatencyHistogram _sendLag = new();

    // The first and last quarters of the measured requests, by due time: a queue that grows through the step shows as
    // a later median (see StepResult.GrowthMilliseconds).
    private readonly LatencyHistogram _firstQuarter = new();
    private readonly LatencyHistogram _lastQuarter = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _start;
    private long _ok;
    private long _refused;
    private long _errors;
    private long _outstanding;

    // Of those in flight, the measured ones (past the warm-up): what a drain timeout counts as errors.
    private long _measuredOutstanding;

    // Set when the drain timed out: answers after it change the result no more, already counted as errors.
    private bool _closed;
    private long _responses;
    private long _lastCompletion;
    private bool _dispatchFinished;
    private string? _firstError;
    private CancellationToken _cancellation;

    public OpenLoopStep(
        LoopbackClient client, RequestPlan plan, int[] tenantSequence, double rate, TimeSpan warmup, TimeSpan measured, int maxOutstanding, TimeSpan? drainTimeout = null)
    {
        _drainTimeout = drainTimeout ?? s_drainTimeout;
        _client = client;
        _plan = plan;
        _tenantSequence = tenantSequence;
        _rate = rate;
        _warmupRequests = (long)(rate * warmup.TotalSeconds);
        _totalRequests = _warmupRequests + Math.Max(1, (long)(rate * measured.TotalSeconds));
        _ticksPerRequest = Stopwatch.Frequency / rate;
        _maxOutstanding = maxOutstanding;
    }

    /// <summary>
    /// Completes once every request the step sent has been answered or failed, also those a timed-out drain gave up
    /// on: until then they hold connections and the server's time, which the next step would measure.
    /// </summary>
    public Task AllAnswered => _drained.Task;

    /// <summary>Requests sent and not yet answered or failed.</summary>
    public long Unanswered => Interlocked.Read(ref _outstanding);

    public async Task<StepResult> RunAsync(CancellationToken cancellationToken)
    {
        _cancellation = cancellationToken;
        var dispatched = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // A thread of its own: the schedule must not wait behind the thread pool, which handles the responses.
        var dispatcher = new Thread(() =>
        {
            try
            {
                PreciseSleep.TightenTimerSlack();
                Dispatch();
                dispatched.SetResult();
            }
            catch (Exception e)
            {
                dispatched.SetException(e);
            }
        })
        { IsBackground = true, Name = "open-loop dispatcher" };

        _start = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 100);
        dispatcher.Start();
        await dispatched.Task;
        Volatile.Write(ref _dispatchFinished, true);
        if (Interlocked.Read(ref _outstanding) == 0)
        {
            _drained.TrySetResult();
        }

        try
        {
            await _drained.Task.WaitAsync(_drainTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            // Each unanswered request is an error of its own: counted once, a step that lost thousands would read as
            // one error short of clean.
            Volatile.Write(ref _closed, true);
            var unanswered = Interlocked.Read(ref _measuredOutstanding);
            Error($"{unanswered} requests still unanswered {_drainTimeout.TotalSeconds:0.#} s after the last was due", unanswered);
        }

        cancellationToken.ThrowIfCancellationRequested();
        return Result();
    }

    private void Dispatch()
    {
        for (long i = 0; i < _totalRequests && !_cancellation.IsCancellationRequested; i++)
        {
            PreciseSleep.Until(Due(i));
            if (Interlocked.Increment(ref _outstanding) > _maxOutstanding)
            {
                Interlocked.Decrement(ref _outstanding);
                if (i >= _warmupRequests)
                {
                    Error($"dropped: more than {_maxOutstanding} requests in flight");
                }

                continue;
            }

            if (i >= _warmupRequests)
            {
                Interlocked.Increment(ref _measuredOutstanding);
            }

            // Written from this thread: a send to loopback does not block, and a hop to the thread pool would add
            // a thread wake-up to every request on a machine whose cores the server needs.
            _client.Send(new PendingRequest(_plan.RawRequest(_tenantSequence[i & SequenceMask]), this, i));
        }
    }

    public void Completed(long token, int statusCode, bool rateLimited, long sent, long completed)
    {
        var due = Due(token);
        Interlocked.Increment(ref _responses);
        if (token >= _warmupRequests && StillCounted())
        {
            _sendLag.RecordTicks(sent - due);
            if (statusCode == 429 && !rateLimited)
            {
                // Not a quota's answer (a throttle of keys that are not valid, say): measured as one, it would pass a
                // misconfigured run off as a fast one.
                Error("HTTP 429 without a RateLimit header");
            }
            else if (statusCode is 200 or 429)
            {
                Interlocked.Increment(ref statusCode == 200 ? ref _ok : ref _refused);
                _latency.RecordTicks(completed - due);
                RecordQuarter(token, completed - due);
                RaiseLastCompletion(completed);
            }
            else
            {
                Error($"HTTP {statusCode}");
            }
        }

        Finished();
    }

    public void Failed(long token, string error)
    {
        // Nobody awaits a request: every failure has to be counted here or it is lost.
        if (token >= _warmupRequests && StillCounted())
        {
            Error(error);
        }

        Finished();
    }

    private long Due(long index) => _start + (long)(index * _ticksPerRequest);

    private void RecordQuarter(long token, long latencyTicks)
    {
        var measured = _totalRequests - _warmupRequests;
        var position = token - _warmupRequests;
        if (position < measured / 4)
        {
            _firstQuarter.RecordTicks(latencyTicks);
        }
        else if (position >= measured - (measured / 4))
        {
            _lastQuarter.RecordTicks(latencyTicks);
        }
    }

    /// <summary>A measured request answered or failed: false once the drain timed out, which counted it already.</summary>
    private bool StillCounted()
    {
        Interlocked.Decrement(ref _measuredOutstanding);
        return !Volatile.Read(ref _closed);
    }

    private void Finished()
    {
        if (Interlocked.Decrement(ref _outstanding) == 0 && Volatile.Read(ref _dispatchFinished))
        {
            _drained.TrySetResult();
        }
    }

    private void Error(string description, long count = 1)
    {
        Interlocked.Add(ref _errors, count);
        Interlocked.CompareExchange(ref _firstError, description, null);
    }

    private void RaiseLastCompletion(long timestamp)
    {
        var seen = Interlocked.Read(ref _lastCompletion);
        while (timestamp > seen)
        {
            var previous = Interlocked.CompareExchange(ref _lastCompletion, timestamp, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }

    /// <summary>What the step measured; internal for tests, which feed it answers of their own.</summary>
    internal StepResult Result()
    {
        // Achieved: answers of the measured requests over the time from the first one's due time to the last answer,
        // so a server that answers late is charged for the time it took.
        var answered = _ok + _refused;
        var measureStart = _start + (long)(_warmupRequests * _ticksPerRequest);
        var seconds = (_lastCompletion - measureStart) / (double)Stopwatch.Frequency;
        return new StepResult(
            _rate,
            answered > 0 && seconds > 0 ? answered / seconds : 0,
            _ok,
            _refused,
            _errors,
            _latency.QuantileMilliseconds(0.50),
            _latency.QuantileMilliseconds(0.95),
            _latency.QuantileMilliseconds(0.99),
            _sendLag.QuantileMilliseconds(0.99),
            _firstError)
        {
            Responses = Interlocked.Read(ref _responses),
            FirstQuarterP50Milliseconds = _firstQuarter.QuantileMilliseconds(0.50),
            LastQuarterP50Milliseconds = _lastQuarter.QuantileMilliseconds(0.50),
        };
    }
}
