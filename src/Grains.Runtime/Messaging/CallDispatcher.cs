using Grains.Activation;
using Grains.CodeGeneration;
using Microsoft.Extensions.Options;

namespace Grains.Messaging;

/// <summary>
/// The invoker behind every grain reference: registers the caller's pending call (its task and deadline), then
/// hands the call to the router, which places it on a local activation or another silo.
/// </summary>
internal sealed class CallDispatcher : IGrainCallInvoker
{
    private readonly ICallRouter _router;
    private readonly PendingCallTable _pendingCalls;
    private readonly TimeProvider _time;
    private readonly TimeSpan _responseTimeout;

    public CallDispatcher(ICallRouter router, PendingCallTable pendingCalls, TimeProvider time, IOptions<GrainsOptions> options)
    {
        _router = router;
        _pendingCalls = pendingCalls;
        _time = time;
        _responseTimeout = options.Value.ResponseTimeout;
    }

    public Task<TResult> InvokeAsync<TResult>(GrainId target, GrainCall<TResult> call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var timeout = call.Method.ResponseTimeout ?? _responseTimeout;
        var pending = new PendingCall<TResult>(_pendingCalls, target, call.Method, timeout);
        call.SetResultSink(pending);
        call.Routing = new GrainCallRouting(Deadline(timeout), 0, 0, ActivationExecutor.InTurn);
        _pendingCalls.Add(pending);
        ActivationExecutor.OfferCallingThread();
        try
        {
            _router.Route(target, call);
        }
        finally
        {
            ActivationExecutor.WithdrawCallingThread();
        }

        return pending.Task;
    }

    public void InvokeOneWay(GrainId target, GrainCall<NoResult> call)
    {
        ArgumentNullException.ThrowIfNull(call);
        call.SetResultSink(IgnoredResult.Instance);
        call.Routing = new GrainCallRouting(Deadline(_responseTimeout), 0, 0, ActivationExecutor.InTurn);
        _router.Route(target, call);
    }

    private long Deadline(TimeSpan timeout) => _time.GetUtcNow().ToUnixTimeMilliseconds() + (long)timeout.TotalMilliseconds;

    /// <summary>One-way callers wait for nothing; failures are logged by the activation that ran the call.</summary>
    private sealed class IgnoredResult : ICallResultSink<NoResult>
    {
        public static readonly IgnoredResult Instance = new();

        public void SetResult(NoResult result)
        {
        }

        public void SetException(Exception exception)
        {
        }
    }
}
