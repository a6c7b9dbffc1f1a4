using System.Collections.Concurrent;
using Grains.CodeGeneration;

namespace Grains.Activation;

/// <summary>
/// Runs an activation's work one item at a time on the thread pool. It is also the activation's
/// SynchronizationContext, so every <c>await</c> in grain code resumes here: turns of one activation never overlap,
/// and a busy activation gives its thread back after a bounded batch.
/// </summary>
internal sealed class ActivationExecutor : SynchronizationContext, IThreadPoolWorkItem
{
    private const int MaxItemsPerBatch = 64;

    private readonly ConcurrentQueue<WorkItem> _queue = new();
    private readonly ActivationData _owner;

    // 1 while a drain is queued to or running on the thread pool; only the thread that sets it to 1 queues a drain.
    private int _scheduled;

    public ActivationExecutor(ActivationData owner) => _owner = owner;

    /// <summary>True on the thread that is currently running this activation's work.</summary>
    public bool IsCurrent => Current == this;

    public void PostCall(GrainCall call)
    {
        _queue.Enqueue(new WorkItem(call, null, null));
        Schedule();
    }

    public override void Post(SendOrPostCallback d, object? state)
    {
        _queue.Enqueue(new WorkItem(null, d, state));
        Schedule();
    }

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

    private void Schedule()
    {
        if (Interlocked.Exchange(ref _scheduled, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: true);
        }
    }

    private void Run(in WorkItem item)
    {
        try
        {
            if (item.Call is not null)
            {
                _owner.RunCall(item.Call);
            }
            else
            {
                item.Callback!(item.State);
            }
        }
        catch (Exception exception)
        {
            // Only escapes from code such as async void methods; the activation keeps going.
            _owner.OnWorkItemFailed(exception);
        }
    }

    private readonly record struct WorkItem(GrainCall? Call, SendOrPostCallback? Callback, object? State);
}
