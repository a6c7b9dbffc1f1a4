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

    // 1 while a drain is queued to or running on the thread pool; only the thread that sets it to 1 queues a drain.
    private int _scheduled;

    public ActivationExecutor(ActivationData owner) => _owner = owner;

    /// <summary>True on the thread that is currently running this activation's work.</summary>
    public bool IsCurrent => Current == this;

    /// <summary>A call that has arrived: the executor admits it (runs or parks it).</summary>
    public void PostIncoming(GrainCall call) => Enqueue(new WorkItem(WorkKind.Incoming, call, null, null));

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

            // A full fence: a producer that saw 1 and did not schedule must have its item seen by the check below.
            Interlocked.Exchange(ref _scheduled, 0);
            if (!_queue.IsEmpty)
            {
                Schedule();
            }
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
