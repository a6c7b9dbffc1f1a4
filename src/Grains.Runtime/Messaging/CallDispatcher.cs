using Grains.Activation;
using Grains.CodeGeneration;
using Microsoft.Extensions.Options;

namespace Grains.Messaging;

/// <summary>Delivers calls from grain references: registers the caller's pending call, then hands the call to its activation.</summary>
internal sealed class CallDispatcher : IGrainCallInvoker
{
    private readonly ActivationDirectory _directory;
    private readonly PendingCallTable _pendingCalls;
    private readonly TimeSpan _responseTimeout;

    public CallDispatcher(ActivationDirectory directory, PendingCallTable pendingCalls, IOptions<GrainsOptions> options)
    {
        _directory = directory;
        _pendingCalls = pendingCalls;
        _responseTimeout = options.Value.ResponseTimeout;
    }

    public Task<TResult> InvokeAsync<TResult>(GrainId target, GrainCall<TResult> call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var timeout = call.Method.ResponseTimeout ?? _responseTimeout;
        var pending = new PendingCall<TResult>(_pendingCalls, target, call.Method, timeout);
        call.SetResultSink(pending);
        _pendingCalls.Add(pending);
        _directory.Deliver(target, call);
        return pending.Task;
    }

    public void InvokeOneWay(GrainId target, GrainCall<NoResult> call)
    {
        ArgumentNullException.ThrowIfNull(call);
        call.SetResultSink(IgnoredResult.Instance);
        _directory.Deliver(target, call);
    }

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
