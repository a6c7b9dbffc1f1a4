using System.Collections.Concurrent;
using Grains.CodeGeneration;

namespace Grains.Activation;

/// <summary>
/// Runs an activation's work one item at a time on the thread pool. It is also the activation's
/// SynchronizationContext, so every <c>await</c> in grain code resumes here: turns of one activation never overlap,
/// and a busy activation gives its thread back after a bounded batch. Callers only enqueue (lock-free); everything
/// else about the mailbox happens on this executor.
/// </summary>
internal sealed class ActivationExecutor : SynchronizationContext, IThreadPoolWorkItem
{
    private const int MaxItemsPerBatch = 256;

    private readonly ConcurrentQueue<WorkItem> _queue = new();
    private readonly ActivationData _owner;

    // True while a caller outside any activation hands a call over and may run its turn itself (see PostIncoming).
    [ThreadStatic]
    private static bool s_callerOffersThread;

    // 1 while a drain is queued to or running on the thread pool, or a caller runs a turn inline; only the thread that
    // sets it to 1 runs or queues work.
    private int _scheduled;

    public ActivationExecutor(ActivationData owner) => _owner = owner;

    /// <summary>True on the thread that is currently running this activation's work.</summary>
    public bool IsCurrent => Current == this;

    /// <summary>True while the calling code runs in a turn of some activation (a grain calling another).</summary>
    public static bool InTurn => Current is ActivationExecutor;

    /// <summary>
    /// Offers the calling thread for the turn of the call it is about to hand over, when it is not itself running an
    /// activation's turn (a web request, a client, a test). Withdraw it once the call is handed over.
    /// </summary>
    public static void OfferCallingThread() => s_callerOffersThread = Current is not ActivationExecutor;

    public static void WithdrawCallingThread() => s_callerOffersThread = false;

    /// <summary>
    /// A call that has arrived: the executor admits it (runs or parks it). When its caller offered its thread and the
    /// activation is idle, the turn starts right there: a grain method that completes synchronously then answers
    /// without a single thread switch (two fewer than through the thread pool). Calls made from inside a turn, and
    /// calls arriving from other processes, are queued as always.
    /// </summary>
    public void PostIncoming(GrainCall call)
    {
        if (!s_callerOffersThread || !TryRunOnCallingThread(call))
        {
            Enqueue(new WorkItem(WorkKind.Incoming, call, null, null));
        }
    }

    /// <summary>A call already admitted: the executor runs it.</summary>
    public void PostStart(GrainCall call) => Enqueue(new WorkItem(WorkKind.Start, call, null, null));

    public override void Post(SendOrPostCallback d, object? state) => Enqueue(new WorkItem(WorkKind.Callback, null, d, state));

    public override void Send(SendOrPostCallback d, object? state) =>
        throw new NotSupportedException("A grain activation does not run work synchronously for another thread; use await.");

    public override SynchronizationContext CreateCopy() => this;

    void IThreadPoolWorkItem.Execute()
    {
        var previous = Current;
        SetSynchronizationContext(this);
        try
        {
            for (var i = 0; i < MaxItemsPerBatch && _queue.TryDequeue(out var item); i++)
            {
                Run(item);
            }
        }
        finally
        {
            SetSynchronizationContext(previous);
            Release();
        }
    }

    /// <summary>
    /// Runs the call's admission on the calling thread when nothing is queued or running here; the turn holds the
    /// executor exactly as a drain does, so turns still never overlap. The caller's ambient context is restored after.
    /// </summary>
    private bool TryRunOnCallingThread(GrainCall call)
    {
        // One turn per offer: calls that this turn makes are queued as usual.
        s_callerOffersThread = false;
        if (!_queue.IsEmpty || Volatile.Read(ref _scheduled) != 0 || Interlocked.Exchange(ref _scheduled, 1) != 0)
        {
            return false;
        }

        var previous = Current;
        var callerContext = ExecutionContext.Capture();
        SetSynchronizationContext(this);
        try
        {
            Run(new WorkItem(WorkKind.Incoming, call, null, null));
        }
        finally
        {
            SetSynchronizationContext(previous);
            if (callerContext is not null)
            {
                ExecutionContext.Restore(callerContext);
            }

            Release();
        }

        return true;
    }

    /// <summary>Gives the executor up after a drain or an inline turn, and queues a drain for work that came meanwhile.</summary>
    private void Release()
    {
        // A full fence: a producer that saw 1 and did not schedule must have its item seen by the check below.
        Interlocked.Exchange(ref _scheduled, 0);
        if (!_queue.IsEmpty)
        {
            Schedule();
        }
    }

    private void Enqueue(in WorkItem item)
    {
        _queue.Enqueue(item);
        Schedule();
    }

    private void Schedule()
    {
        // The read spares busy producers a contended interlocked write; the queue's own fence keeps it safe.
        if (Volatile.Read(ref _scheduled) == 0 && Interlocked.Exchange(ref _scheduled, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    private void Run(in WorkItem item)
    {
        try
        {
            switch (item.Kind)
            {
                case WorkKind.Incoming:
                    _owner.Admit(item.Call!);
                    break;
                case WorkKind.Start:
                    _owner.RunCall(item.Call!);
                    break;
                default:
                    item.Callback!(item.State);
                    break;
            }
        }
        catch (Exception exception)
        {
            // Only escapes from code such as async void methods; the activation keeps going.
            _owner.OnWorkItemFailed(exception);
        }
    }

    private enum WorkKind
    {
        Incoming,
        Start,
        Callback,
    }

    private readonly record struct WorkItem(WorkKind Kind, GrainCall? Call, SendOrPostCallback? Callback, object? State);
}
