using Grains.CodeGeneration;

namespace Grains.Messaging;

/// <summary>A call a caller is waiting for; it is removed from its table the moment it completes.</summary>
internal interface IPendingCall
{
    long Id { get; }

    long DeadlineTimestamp { get; }

    void TimeOut();

    void Fail(Exception exception);
}

/// <summary>
/// The caller's side of a call: its task, its deadline and its place in the pending-call table. Continuations run
/// asynchronously so that the caller's code never runs inside the callee's turn.
/// </summary>
internal sealed class PendingCall<TResult> : TaskCompletionSource<TResult>, ICallResultSink<TResult>, IPendingCall
{
    private readonly PendingCallTable _table;
    private readonly GrainId _target;
    private readonly GrainMethodDescriptor _method;
    private readonly TimeSpan _timeout;

    public PendingCall(PendingCallTable table, long id, GrainId target, GrainMethodDescriptor method, TimeSpan timeout, long deadlineTimestamp)
        : base(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        _table = table;
        _target = target;
        _method = method;
        _timeout = timeout;
        Id = id;
        DeadlineTimestamp = deadlineTimestamp;
    }

    public long Id { get; }

    public long DeadlineTimestamp { get; }

    void ICallResultSink<TResult>.SetResult(TResult result)
    {
        _table.Remove(Id);
        TrySetResult(result);
    }

    void ICallResultSink<TResult>.SetException(Exception exception) => Fail(exception);

    public void TimeOut() => Fail(new GrainCallTimeoutException(_target, _method.DisplayName, _timeout));

    public void Fail(Exception exception)
    {
        _table.Remove(Id);
        TrySetException(exception);
    }
}
