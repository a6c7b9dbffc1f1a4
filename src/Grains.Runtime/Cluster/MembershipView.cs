using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Grains.Cluster;

/// <summary>
/// This process's view of the membership table: the latest snapshot it read, refreshed on change notifications
/// (PostgreSQL LISTEN/NOTIFY) and by polling as a fallback. Refreshes are coalesced; subscribers are told of every
/// new version, in order, one at a time.
/// </summary>
internal sealed partial class MembershipView : IAsyncDisposable
{
    private readonly IMembershipTable _table;
    private readonly MembershipOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<MembershipView> _logger;
    private readonly SemaphoreSlim _refreshGate = new(1, 1);
    private readonly Lock _readLock = new();

    // The read that starts once the running one ends, shared by every caller that asks meanwhile.
    private TaskCompletionSource? _nextRead;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Action<MembershipSnapshot>> _subscribers = [];
    private volatile MembershipSnapshot _current = MembershipSnapshot.Empty;
    private int _refreshRequested;

    // Reads in a row, each begun after the current snapshot was published, that found the table behind it (under _subscribers).
    private int _readsBehind;
    private int _disposed;
    private Task _loops = Task.CompletedTask;

    public MembershipView(IMembershipTable table, IOptions<MembershipOptions> options, TimeProvider time, ILogger<MembershipView> logger)
    {
        _table = table;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    public MembershipSnapshot Current => _current;

    public IMembershipTable Table => _table;

    /// <summary>
    /// Registers a callback run for every new snapshot (on the refreshing thread, never concurrently); disposing the
    /// result unregisters it.
    /// </summary>
    public IDisposable Subscribe(Action<MembershipSnapshot> onChange)
    {
        ArgumentNullException.ThrowIfNull(onChange);
        lock (_subscribers)
        {
            _subscribers.Add(onChange);
        }

        return new Subscription(this, onChange);
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await RefreshAsync(cancellationToken);
        _loops = Task.WhenAll(PollAsync(_stopping.Token), ListenAsync(_stopping.Token));
    }

    /// <summary>
    /// Reads the table and publishes what is new, by a read that starts after this call (so it sees every change made
    /// before it): the callers that ask while a read runs share the one read that starts next, rather than each queue a
    /// read of its own (a silo lost with thousands of calls in flight has each of them ask). The token ends the wait,
    /// not the shared read.
    /// </summary>
    public Task RefreshAsync(CancellationToken cancellationToken)
    {
        Volatile.Write(ref _refreshRequested, 0);
        TaskCompletionSource next;
        var start = false;
        lock (_readLock)
        {
            if (_nextRead is null)
            {
                _nextRead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                start = true;
            }

            next = _nextRead;
        }

        if (start)
        {
            // Shared by every waiter, so on no caller's context: asked for from a grain's turn, the read and the
            // subscribers it runs resumed in that grain's mailbox, and a busy grain held up the silo's view.
            _ = Task.Run(() => ReadIntoAsync(next), CancellationToken.None);
        }

        return next.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Runs the read <paramref name="done"/> stands for, once the one before it has ended.</summary>
    private async Task ReadIntoAsync(TaskCompletionSource done)
    {
        try
        {
            await _refreshGate.WaitAsync(_stopping.Token);
        }
        catch (OperationCanceledException exception)
        {
            // The view is being disposed.
            TakeNextRead(done);
            done.TrySetCanceled(exception.CancellationToken);
            return;
        }
        catch (ObjectDisposedException)
        {
            // Disposed before this read began on the thread pool: its waiters are told, not left waiting for good.
            TakeNextRead(done);
            done.TrySetCanceled();
            return;
        }

        try
        {
            // From here a caller needs a read that starts later than this one.
            TakeNextRead(done);
            var before = _current;
            Publish(await _table.ReadAsync(_stopping.Token), readAfter: before);
            done.TrySetResult();
        }
        catch (OperationCanceledException exception)
        {
            done.TrySetCanceled(exception.CancellationToken);
        }
        catch (Exception exception)
        {
            done.TrySetException(exception);
        }
        finally
        {
            ReleaseGate();
        }
    }

    private void ReleaseGate()
    {
        try
        {
            _refreshGate.Release();
        }
        catch (ObjectDisposedException)
        {
            // The view was disposed while this read ran (cancelled by it): no read comes after.
        }
    }

    private void TakeNextRead(TaskCompletionSource read)
    {
        lock (_readLock)
        {
            if (_nextRead == read)
            {
                _nextRead = null;
            }
        }
    }

    /// <summary>Asks for a refresh without waiting; requests made while one is pending are merged.</summary>
    public void RequestRefresh()
    {
        if (Interlocked.Exchange(ref _refreshRequested, 1) == 0)
        {
            _ = Task.Run(RefreshSafelyAsync);
        }
    }

    /// <summary>Waits until a snapshot satisfies the condition (refreshing meanwhile), or the token fires.</summary>
    public async Task<MembershipSnapshot> WaitForAsync(Func<MembershipSnapshot, bool> condition, CancellationToken cancellationToken)
    {
        while (true)
        {
            var snapshot = _current;
            if (condition(snapshot))
            {
                return snapshot;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), _time, cancellationToken);
            await RefreshAsync(cancellationToken);
        }
    }

    /// <summary>Publishes a snapshot this process read itself (for example right after its own write).</summary>
    public void Publish(MembershipSnapshot snapshot) => Publish(snapshot, readAfter: null);

    /// <summary>
    /// Publishes a snapshot newer than the current one. An older one is dropped (a read that started before another
    /// finished), except when two reads in a row, each begun after <paramref name="readAfter"/> was published with
    /// nothing published since, find the table behind the view: the table itself went back (restored from a backup, or
    /// created again), and a view that waited for the old version to come round again would miss every change until
    /// then. One such read alone is not followed (a replica that lags, say): it asks for the read that confirms it.
    /// </summary>
    private void Publish(MembershipSnapshot snapshot, MembershipSnapshot? readAfter)
    {
        Action<MembershipSnapshot>[] subscribers;
        lock (_subscribers)
        {
            if (snapshot.Version <= _current.Version && _current.Version != 0)
            {
                if (snapshot.Version == _current.Version || !ReferenceEquals(readAfter, _current))
                {
                    _readsBehind = readAfter is null ? _readsBehind : 0;
                    return;
                }

                if (++_readsBehind < 2)
                {
                    RequestRefresh();
                    return;
                }

                LogVersionWentBack(_logger, _table.Target, _current.Version, snapshot.Version);
            }

            _readsBehind = 0;

            _current = snapshot;
            subscribers = [.. _subscribers];
            LogNewVersion(_logger, snapshot.Version, snapshot.ActiveSilos.Count);

            // Inside the lock, so subscribers see versions in order.
            foreach (var subscriber in subscribers)
            {
                try
                {
                    subscriber(snapshot);
                }
                catch (Exception exception)
                {
                    LogSubscriberFailed(_logger, exception);
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync();
        try
        {
            await _loops;
        }
        catch (OperationCanceledException)
        {
        }

        _stopping.Dispose();
        _refreshGate.Dispose();
    }

    private async Task RefreshSafelyAsync()
    {
        try
        {
            await RefreshAsync(_stopping.Token);
        }
        catch (Exception exception) when (exception is OperationCanceledException || Volatile.Read(ref _disposed) == 1)
        {
            // Stopping, or asked for after the view was disposed: nothing to read, nothing to report.
        }
        catch (Exception exception)
        {
            LogRefreshFailed(_logger, exception, _table.Target);
        }
    }

    private async Task PollAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.RefreshInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await RefreshSafelyAsync();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ListenAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await _table.ListenAsync(version =>
                {
                    if (version > _current.Version)
                    {
                        RequestRefresh();
                    }
                }, cancellationToken);
                return;
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception exception)
            {
                // Polling keeps the view fresh meanwhile; listen again after a pause.
                LogListenFailed(_logger, exception, _table.Target);
                try
                {
                    await Task.Delay(_options.RefreshInterval * 5, _time, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Membership version {Version}: {ActiveCount} active silos")]
    private static partial void LogNewVersion(ILogger logger, long version, int activeCount);

    [LoggerMessage(EventId = 204, Level = LogLevel.Warning, Message = "The membership table at {Target} went back from version {Previous} to {Version} (restored or created again); the view follows it")]
    private static partial void LogVersionWentBack(ILogger logger, string target, long previous, long version);

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "Reading the membership table at {Target} failed; the view stays as it is")]
    private static partial void LogRefreshFailed(ILogger logger, Exception exception, string target);

    [LoggerMessage(EventId = 202, Level = LogLevel.Warning, Message = "Listening for membership changes at {Target} failed; polling continues")]
    private static partial void LogListenFailed(ILogger logger, Exception exception, string target);

    [LoggerMessage(EventId = 203, Level = LogLevel.Error, Message = "A membership change subscriber failed")]
    private static partial void LogSubscriberFailed(ILogger logger, Exception exception);

    private sealed class Subscription(MembershipView view, Action<MembershipSnapshot> onChange) : IDisposable
    {
        public void Dispose()
        {
            lock (view._subscribers)
            {
                view._subscribers.Remove(onChange);
            }
        }
    }
}
