using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using Microsoft.Extensions.Logging;

namespace Grains.Transport;

/// <summary>
/// One connection between two processes of the cluster. Frames are length-prefixed and multiplexed by correlation
/// id; sends go through a bounded queue (senders wait when it is full); when the connection closes, every request
/// still in flight fails at once instead of waiting for its timeout.
/// </summary>
internal sealed partial class GrainConnection : IDisposable, IThreadPoolWorkItem
{
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly Action _abortTransport;
    private readonly IRequestHandler? _requests;
    private readonly TransportOptions _options;
    private readonly SiloNetworkFaults _faults;
    private readonly ILogger _logger;
    private readonly ConcurrentQueue<OutgoingFrame> _sendQueue = new();

    // 1 while the writer's flush waits for the peer to take what was written (the transport's buffer is full).
    private int _flushWaiting;
    private readonly object _capacityLock = new();
    private TaskCompletionSource? _capacityFreed;
    private int _queuedFrames;
    private int _waitingForRoom;
    private int _writing;
    private readonly ConcurrentDictionary<long, OutstandingRequest> _outstanding = new();
    private readonly ConcurrentDictionary<long, TaskCompletionSource> _pings = new();
    private readonly CancellationTokenSource _closing = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _writerStopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _reading = Task.CompletedTask;
    private readonly TaskCompletionSource _drainStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _nextCorrelationId;
    private int _closeStarted;
    private int _draining;

    public GrainConnection(
        string remoteName,
        IDuplexPipe transport,
        Action abortTransport,
        IRequestHandler? requests,
        TransportOptions options,
        SiloNetworkFaults faults,
        ILogger logger,
        TimeProvider? requestClock = null,
        int? peerMaxFrameSize = null)
    {
        RemoteName = remoteName;
        MaxSendFrameSize = peerMaxFrameSize is > 0 and var peer ? Math.Min(options.MaxFrameSize, peer) : options.MaxFrameSize;
        _input = transport.Input;
        _output = transport.Output;
        _abortTransport = abortTransport;
        _requests = requests;
        _options = options;
        _faults = faults;
        _logger = logger;
        _requestClock = requestClock;
    }

    /// <summary>The peer, for logs: a silo address or a client endpoint.</summary>
    public string RemoteName { get; }

    /// <summary>
    /// The largest frame sent on this connection: the smaller of this process's MaxFrameSize and the one the peer said
    /// at the handshake. A larger message fails its own call with the reason, where the peer would have closed the
    /// connection and failed every call on it.
    /// </summary>
    public int MaxSendFrameSize { get; }

    public bool IsClosed => _closing.IsCancellationRequested;

    /// <summary>Completes when the connection has closed and every outstanding request has been failed.</summary>
    public Task Closed => _closed.Task;

    /// <summary>
    /// Completes once the connection has closed and neither reads nor writes its pipes any more: the read loop has left
    /// (the frame it was dispatching, a slice of the pipe's memory, included) and no writer runs or will start. Only
    /// then may the pipes be completed and their memory go back to a pool (Kestrel does it when its handler returns).
    /// </summary>
    public Task Stopped => Task.WhenAll(_closed.Task, _reading, _writerStopped.Task);

    public int OutstandingCount => _outstanding.Count;

    public void Start()
    {
        StartExpiry();
        // On the thread pool, not on the caller's context: started from a grain's turn (its first call to a silo), the
        // loop's awaits resumed in that grain's mailbox, so every reply and pong of the connection waited behind that
        // grain's work, and a grain busy for seconds had its silo's probes of the peer fail.
        _reading = Task.Run(ReadLoopAsync);
    }

    /// <summary>Sends a request frame (built with correlation id 0); its reply, or the loss of the connection, reaches the request's handler.</summary>
    public ValueTask SendRequestAsync(OutstandingRequest request, FrameBuilder frame)
    {
        var correlationId = Interlocked.Increment(ref _nextCorrelationId);
        request.CorrelationId = correlationId;
        frame.SetCorrelationId(correlationId);
        SetExpiry(request);
        _outstanding[correlationId] = request;
        Interlocked.MemoryBarrier();
        if (!AcceptsRequests)
        {
            // Not written: the router retries it on another connection after refreshing its view.
            FailOutstanding(correlationId, new ConnectionClosedException(RemoteName));
            frame.Return();
            CloseIfDrained();
            return default;
        }

        return EnqueueAsync(new OutgoingFrame(frame, request, WaitsForRoom: true));
    }

    /// <summary>Sends a frame that expects no reply and never waits for queue space (pings, pongs, control frames).</summary>
    public ValueTask SendAsync(FrameBuilder frame) => EnqueueAsync(new OutgoingFrame(frame, null, WaitsForRoom: false));

    /// <summary>
    /// Sends a one-way call: no reply comes, but like a request it waits while the queue is over capacity, so that a
    /// flood of them to a peer that reads slowly waits for room instead of piling up in the queue until the
    /// connection, and every call on it, is cut off as a peer that reads nothing.
    /// </summary>
    public ValueTask SendOneWayAsync(FrameBuilder frame) => EnqueueAsync(new OutgoingFrame(frame, null, WaitsForRoom: true));

    /// <summary>
    /// Sends a reply without ever waiting for queue space (activations reply from their executor). An isolated silo's
    /// replies are lost on the way (<see cref="SiloNetworkFaults"/>): a peer that read them would know it is alive.
    /// </summary>
    public void SendReply(FrameBuilder frame)
    {
        if (_faults.Isolated)
        {
            frame.Return();
            return;
        }

        Enqueue(new OutgoingFrame(frame, null, WaitsForRoom: false));
    }

    /// <summary>Pings the peer; true when it answered within the timeout (and before <paramref name="cancellationToken"/>).</summary>
    public async Task<bool> PingAsync(long membershipVersion, string sender, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken = default)
    {
        if (IsClosed || _faults.Isolated)
        {
            return false;
        }

        var correlationId = Interlocked.Increment(ref _nextCorrelationId);
        var answered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _pings[correlationId] = answered;
        try
        {
            await SendAsync(ControlFrame(MessageKind.Ping, correlationId, membershipVersion, sender));
            await answered.Task.WaitAsync(timeout, time, cancellationToken);
            return true;
        }
        catch (Exception exception) when (exception is TimeoutException or ConnectionClosedException or OperationCanceledException)
        {
            return false;
        }
        finally
        {
            _pings.TryRemove(correlationId, out _);
        }
    }

    /// <summary>Closes the connection: in-flight requests fail now, queued frames are dropped.</summary>
    public void Abort(Exception? reason = null)
    {
        if (Interlocked.Exchange(ref _closeStarted, 1) == 1)
        {
            return;
        }

        reason ??= new ConnectionClosedException(RemoteName);
        _closing.Cancel();
        _expiryTimer?.Dispose();
        try
        {
            _abortTransport();
        }
        catch (Exception exception)
        {
            LogAbortFailed(_logger, exception, RemoteName);
        }

        DropQueuedFrames();
        StopWritingIfIdle();

        foreach (var correlationId in _outstanding.Keys)
        {
            FailOutstanding(correlationId, reason);
        }

        foreach (var ping in _pings.Values)
        {
            ping.TrySetException(reason);
        }

        _closed.TrySetResult();
    }

    /// <summary>Aborts the connection. Its cancellation source holds no timer or wait handle, so it is left to the GC.</summary>
    public void Dispose() => Abort();

    public static FrameBuilder ControlFrame(MessageKind kind, long correlationId, long membershipVersion, string sender)
    {
        var frame = new FrameBuilder(64);
        MessageHeader.Control(kind, correlationId, membershipVersion, sender).Write(frame);
        frame.Seal(int.MaxValue);
        return frame;
    }

    /// <summary>Queues a frame; calls wait while the queue is over capacity (backpressure), replies never do.</summary>
    private ValueTask EnqueueAsync(OutgoingFrame frame)
    {
        if (!frame.WaitsForRoom || Volatile.Read(ref _queuedFrames) < _options.SendQueueCapacity)
        {
            Enqueue(frame);
            return default;
        }

        return EnqueueWhenRoomAsync(frame);
    }

    /// <summary>
    /// Waits for room in the send queue, as at most <see cref="TransportOptions.SendQueueCapacity"/> calls may: one past
    /// them is refused at once, not written (a request's caller retries it after a pause, as a call the connection
    /// could not take), so that a peer that reads more slowly than calls come holds no more than twice the queue's
    /// frames in this process. A request whose caller stopped waiting meanwhile (its deadline passed) is dropped.
    /// </summary>
    private async ValueTask EnqueueWhenRoomAsync(OutgoingFrame frame)
    {
        if (Interlocked.Increment(ref _waitingForRoom) > _options.SendQueueCapacity)
        {
            Interlocked.Decrement(ref _waitingForRoom);
            RefuseForLackOfRoom(frame);
            return;
        }

        try
        {
            await WaitForRoomAsync(frame).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _waitingForRoom);
        }

        if (frame.Request is { IsExpired: true })
        {
            frame.Frame.Return();
            return;
        }

        Enqueue(frame);
    }

    private void RefuseForLackOfRoom(OutgoingFrame frame)
    {
        frame.Frame.Return();
        if (frame.Request is { } request)
        {
            FailOutstanding(request.CorrelationId, new IOException(
                $"{RemoteName} reads more slowly than calls come: {_options.SendQueueCapacity} calls already wait for room in its send queue (Grains:Endpoint:SendQueueCapacity)"));
        }
        else
        {
            LogOneWayDropped(_logger, RemoteName, _options.SendQueueCapacity);
        }
    }

    private async Task WaitForRoomAsync(OutgoingFrame frame)
    {
        while (Volatile.Read(ref _queuedFrames) >= _options.SendQueueCapacity && !IsClosed && frame.Request is not { IsExpired: true })
        {
            Task freed;
            lock (_capacityLock)
            {
                freed = (_capacityFreed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }

            // Looked at again once the signal is in place: a writer that drained the queue between the check above and
            // now found no signal to set, and would wake no one (ReleaseCapacity lowers the count before it looks).
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref _queuedFrames) < _options.SendQueueCapacity)
            {
                continue;
            }

            try
            {
                await freed.WaitAsync(_closing.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Closing: Enqueue discards the frame and fails its request with the transient exception.
                break;
            }
        }
    }

    /// <summary>
    /// Write combining: the thread that queues a frame while nobody writes schedules one writer, which writes
    /// everything queued by the time it runs in one flush. The writer goes to the back of the thread pool's queue
    /// rather than running on the queuing thread, so the callers and turns already waiting there add their frames
    /// first: under load a flush (a send system call) carries many frames instead of one. Writing inline instead sent
    /// about four times as many system calls per call and halved the cross-silo throughput with 64 callers.
    /// </summary>
    private void Enqueue(OutgoingFrame frame)
    {
        if (IsClosed)
        {
            Discard(frame);
            return;
        }

        var queued = Interlocked.Increment(ref _queuedFrames);
        _sendQueue.Enqueue(frame);
        if (queued > MaxQueuedReplies && Volatile.Read(ref _flushWaiting) == 1)
        {
            // Replies never wait for room (a turn must not block on its peer), so a peer that sends requests and
            // reads none of the answers would have them pile up without end. Only while the peer takes nothing (the
            // last flush waits on it): a writer merely slow to run drains its queue once it does.
            LogPeerNotReading(_logger, RemoteName, queued);
            Abort();
            return;
        }

        if (Interlocked.CompareExchange(ref _writing, 1, 0) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    /// <summary>Frames queued, while the peer takes nothing, past which the connection closes: 16 times the send queue's capacity.</summary>
    private int MaxQueuedReplies => (int)Math.Min(int.MaxValue, 16L * _options.SendQueueCapacity);

    void IThreadPoolWorkItem.Execute() => _ = WriteQueuedAsync();

    private async Task WriteQueuedAsync()
    {
        try
        {
            do
            {
                var written = 0;
                while (_sendQueue.TryDequeue(out var outgoing))
                {
                    if (outgoing.Request is { IsExpired: true })
                    {
                        // Its caller has been told it timed out: written now, it would still run at the callee.
                        outgoing.Frame.Return();
                        written++;
                        continue;
                    }

                    outgoing.Request?.MarkWritten();
                    _output.Write(outgoing.Frame.Memory.Span);
                    outgoing.Frame.Return();
                    written++;
                }

                ReleaseCapacity(written);
                var flush = _output.FlushAsync(_closing.Token);
                FlushResult result;
                if (flush.IsCompletedSuccessfully)
                {
                    result = flush.Result;
                }
                else
                {
                    Volatile.Write(ref _flushWaiting, 1);
                    result = await flush.ConfigureAwait(false);
                    Volatile.Write(ref _flushWaiting, 0);
                }

                if (result.IsCompleted || result.IsCanceled)
                {
                    Abort();
                    StopWriting();
                    return;
                }

                // A full fence, not a release store: the store must be visible before the queue is read below, or a
                // frame queued meanwhile could find the flag still set while this writer finds the queue empty, and
                // wait until the next frame.
                Interlocked.Exchange(ref _writing, 0);

                // A frame queued after the last dequeue but before the release found the flag set; take it now.
            }
            while (!_sendQueue.IsEmpty && Interlocked.CompareExchange(ref _writing, 1, 0) == 0);

            if (IsClosed)
            {
                // Closed while this writer held the flag: Abort left the writer's end to it.
                StopWritingIfIdle();
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogWriteFailed(_logger, exception, RemoteName);
            Abort();
            StopWriting();
        }
        catch (OperationCanceledException)
        {
            Abort();
            StopWriting();
        }
    }

    // _writing: 0 no writer, 1 a writer runs, 2 closed and no writer will start again (Enqueue's start needs 0).

    /// <summary>Ends writing for good once no writer runs; one that runs ends it itself when it finds the connection closed.</summary>
    private void StopWritingIfIdle()
    {
        if (Interlocked.CompareExchange(ref _writing, 2, 0) == 0)
        {
            _writerStopped.TrySetResult();
        }
    }

    /// <summary>Ends writing for good from the writer, which holds the flag.</summary>
    private void StopWriting()
    {
        Volatile.Write(ref _writing, 2);
        _writerStopped.TrySetResult();
    }

    private void ReleaseCapacity(int written)
    {
        if (written == 0)
        {
            return;
        }

        var remaining = Interlocked.Add(ref _queuedFrames, -written);
        if (remaining < _options.SendQueueCapacity && Volatile.Read(ref _capacityFreed) is not null)
        {
            TaskCompletionSource? freed;
            lock (_capacityLock)
            {
                freed = _capacityFreed;
                _capacityFreed = null;
            }

            freed?.TrySetResult();
        }
    }

    private void DropQueuedFrames()
    {
        while (_sendQueue.TryDequeue(out var frame))
        {
            Discard(frame);
        }

        lock (_capacityLock)
        {
            _capacityFreed?.TrySetResult();
            _capacityFreed = null;
        }
    }

    private void Discard(OutgoingFrame frame)
    {
        frame.Frame.Return();
        if (frame.Request is { } request)
        {
            FailOutstanding(request.CorrelationId, new ConnectionClosedException(RemoteName));
        }
    }

    private void FailOutstanding(long correlationId, Exception reason)
    {
        if (_outstanding.TryRemove(correlationId, out var request))
        {
            request.Handler.OnConnectionLost(request, request.Written, reason);
        }
    }

    /// <summary>A frame to write; <paramref name="WaitsForRoom"/>: a call (request or one-way), which waits while the queue is full.</summary>
    private readonly record struct OutgoingFrame(FrameBuilder Frame, OutstandingRequest? Request, bool WaitsForRoom);

    [LoggerMessage(EventId = 302, Level = LogLevel.Debug, Message = "Writing to {Remote} failed; closing the connection")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, string remote);

    [LoggerMessage(EventId = 303, Level = LogLevel.Debug, Message = "Aborting the transport of {Remote} failed")]
    private static partial void LogAbortFailed(ILogger logger, Exception exception, string remote);

    [LoggerMessage(EventId = 313, Level = LogLevel.Warning, Message = "A one-way call to {Remote} was dropped: {Capacity} calls already wait for room in its send queue")]
    private static partial void LogOneWayDropped(ILogger logger, string remote, int capacity);

    [LoggerMessage(EventId = 312, Level = LogLevel.Error, Message = "Closing the connection with {Remote}: it sends requests but reads none of the answers ({Queued} waiting to be written)")]
    private static partial void LogPeerNotReading(ILogger logger, string remote, long queued);
}
