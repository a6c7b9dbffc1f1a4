using Grains.CodeGeneration;

namespace Grains.Messaging;

/// <summary>
/// A call a caller is waiting for. It links itself into one shard of the <see cref="PendingCallTable"/> (intrusive,
/// so tracking a call allocates nothing) and unlinks itself the moment it completes.
/// </summary>
internal abstract class PendingCallEntry
{
    internal PendingCallEntry? Previous;
    internal PendingCallEntry? Next;
    internal int Shard = -1;

    public abstract long DeadlineTimestamp { get; }

    public abstract void TimeOut();

    public abstract void Fail(Exception exception);
}

/// <summary>
/// The caller's side of a call: its task and its deadline. Continuations run asynchronously so that the caller's
/// code never runs inside the callee's turn.
/// </summary>
internal sealed class PendingCall<TResult> : PendingCallEntry, ICallResultSink<TResult>
{
    private readonly TaskCompletionSource<TResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly PendingCallTable _table;
    private readonly GrainId _target;
    private readonly GrainMethodDescriptor _method;
    private readonly TimeSpan _timeout;
    private readonly long _deadline;

    public PendingCall(PendingCallTable table, GrainId target, GrainMethodDescriptor method, TimeSpan timeout)
    {
        _table = table;
        _target = target;
        _method = method;
        _timeout = timeout;
        _deadline = table.DeadlineFor(timeout);
    }

    public Task<TResult> Task => _completion.Task;

    public override long DeadlineTimestamp => _deadline;

    public void SetResult(TResult result)
    {
        _table.Remove(this);
        _completion.TrySetResult(result);
    }

    public void SetException(Exception exception) => Fail(exception);

    public override void TimeOut() => Fail(new GrainCallTimeoutException(_target, _method.DisplayName, _timeout));

    public override void Fail(Exception exception)
    {
        _table.Remove(this);
        _completion.TrySetException(exception);
    }
}
