using Grains.Activation;
using Grains.Placement;
using Grains.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Grains.Cluster;

/// <summary>
/// A silo's part in membership: it joins (Joining, then Active), writes heartbeats, pings the silos it watches over
/// its silo connections, votes against a silo that misses too many pings in a row and declares it Dead once enough
/// fresh votes agree, deletes defunct rows, and stops its own silo when it reads itself as Dead. Every status change
/// is a compare-and-swap on the table version.
/// </summary>
internal sealed partial class MembershipAgent : IAsyncDisposable
{
    private const int MaxWriteAttempts = 10;

    private readonly IMembershipTable _table;
    private readonly MembershipView _view;
    private readonly ConnectionPool _connections;
    private readonly LocalSilo _self;
    private readonly ActivationDirectory _activations;
    private readonly MembershipOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<MembershipAgent> _logger;
    private readonly Dictionary<SiloAddress, int> _missedProbes = [];
    private readonly CancellationTokenSource _stopping = new();
    private Task _loops = Task.CompletedTask;
    private volatile bool _leaving;
    private int _declaredDead;

    public MembershipAgent(
        IMembershipTable table,
        MembershipView view,
        ConnectionPool connections,
        LocalSilo self,
        ActivationDirectory activations,
        IOptions<MembershipOptions> options,
        TimeProvider time,
        ILogger<MembershipAgent> logger)
    {
        _table = table;
        _view = view;
        _connections = connections;
        _self = self;
        _activations = activations;
        _options = options.Value;
        _time = time;
        _logger = logger;
    }

    /// <summary>Raised once when the cluster declared this silo Dead (it must stop).</summary>
    public event Action? DeclaredDead;

    public async Task JoinAsync(SiloAddress address, string siloName, CancellationToken cancellationToken)
    {
        _self.SetAddress(address);
        await CheckAdvertisedAddressAsync(address, cancellationToken);
        var now = _time.GetUtcNow();
        var joining = new MembershipEntry(address, siloName, MembershipStatus.Joining, now, now, []);
        await WriteAsync(snapshot => snapshot.Find(address) is null ? (joining, true) : null, cancellationToken);
        await RetireEarlierLivesAsync(address, cancellationToken);
        await _view.StartAsync(cancellationToken);
        _view.Subscribe(OnViewChanged);

        // Take activations before others learn that this silo is Active.
        _self.SetAcceptsActivations(true);
        if (!await SetOwnStatusAsync(MembershipStatus.Active, cancellationToken))
        {
            throw new InvalidOperationException($"Silo {address} was declared dead while joining the cluster.");
        }

        LogJoined(_logger, address, _options.ClusterId, _table.Target);
        _loops = Task.WhenAll(HeartbeatLoopAsync(_stopping.Token), ProbeLoopAsync(_stopping.Token), HousekeepingLoopAsync(_stopping.Token));
    }

    /// <summary>Announces a graceful departure: the silo becomes ShuttingDown and stops taking activations.</summary>
    public async Task BeginLeaveAsync(CancellationToken cancellationToken)
    {
        _leaving = true;
        _self.SetAcceptsActivations(false);
        if (_self.HasJoined && Volatile.Read(ref _declaredDead) == 0)
        {
            await LeaveStepAsync(MembershipStatus.ShuttingDown, cancellationToken);
        }
    }

    /// <summary>Ends a graceful departure: the silo's row becomes Dead and its loops stop.</summary>
    public async Task FinishLeaveAsync(CancellationToken cancellationToken)
    {
        await StopLoopsAsync();
        if (_self.HasJoined && Volatile.Read(ref _declaredDead) == 0)
        {
            await LeaveStepAsync(MembershipStatus.Dead, cancellationToken);
        }
    }

    /// <summary>
    /// Writes a step of a graceful departure, trying again while the table cannot be reached, for up to
    /// <see cref="s_leaveStepBudget"/> in all (each attempt included, so a database that does not answer at all costs no
    /// more): a blip of the database during a stop must not skip the hand-off of every grain. A step that cannot be
    /// written in that time is logged and passed: the silo goes on leaving (its grains deactivate and store their
    /// state), and the others vote it dead once it stops answering, as after a crash. Only the host's own cancellation
    /// (its shutdown timeout) ends the stop.
    /// </summary>
    private async Task LeaveStepAsync(MembershipStatus status, CancellationToken cancellationToken)
    {
        using var budget = new CancellationTokenSource(s_leaveStepBudget, _time);
        using var step = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, budget.Token);
        var delay = TimeSpan.FromMilliseconds(100);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await SetOwnStatusAsync(status, step.Token);
                return;
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
            {
                if (budget.IsCancellationRequested)
                {
                    LogLeaveStepNotWritten(_logger, exception, status, _table.Target, attempt);
                    return;
                }

                LogLeaveStepRetried(_logger, exception, status, _table.Target, delay);
            }

            try
            {
                await Task.Delay(delay, _time, step.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                LogLeaveStepNotWritten(_logger, null, status, _table.Target, attempt);
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(1).Ticks));
        }
    }

    /// <summary>How long a step of a departure may try to write its status (two steps: 10 s at most).</summary>
    private static readonly TimeSpan s_leaveStepBudget = TimeSpan.FromSeconds(5);

    /// <summary>Stops every loop at once without writing anything (a killed silo says no goodbye).</summary>
    public Task KillAsync()
    {
        _leaving = true;
        _self.SetAcceptsActivations(false);
        return StopLoopsAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopLoopsAsync();
        _stopping.Dispose();
    }

    private async Task StopLoopsAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await _stopping.CancelAsync();
        }

        try
        {
            await _loops;
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void OnViewChanged(MembershipSnapshot snapshot)
    {
        _connections.RetireDead(snapshot, _options.ShutdownAnnouncementDelay, _time, _self.HasJoined ? _self.Address : null);

        // A row that is gone counts as Dead: the table was restored from before this silo joined, or someone deleted
        // the row. Nobody routes to a silo without a row, and its heartbeats write nothing; it stops, like a silo voted
        // out, and joins afresh when it starts again.
        var status = _self.HasJoined ? snapshot.StatusOf(_self.Address) : MembershipStatus.Active;
        if (status is MembershipStatus.Dead or null && !_leaving && Interlocked.Exchange(ref _declaredDead, 1) == 0)
        {
            if (status is null)
            {
                LogOwnRowGone(_logger, _self.Address, _table.Target);
            }
            else
            {
                LogDeclaredDead(_logger, _self.Address);
            }

            _self.SetAcceptsActivations(false);
            DeclaredDead?.Invoke();
        }
    }

    private async Task<bool> SetOwnStatusAsync(MembershipStatus status, CancellationToken cancellationToken)
    {
        var written = await WriteAsync(snapshot =>
        {
            var entry = snapshot.Find(_self.Address);
            if (entry is null || entry.Status == MembershipStatus.Dead)
            {
                return null;
            }

            return (entry with { Status = status, IAmAliveTime = _time.GetUtcNow() }, false);
        }, cancellationToken);
        return written;
    }

    /// <summary>Reads, changes and writes one row with compare-and-swap, retrying on conflicts; false when the change no longer applies.</summary>
    private async Task<bool> WriteAsync(Func<MembershipSnapshot, (MembershipEntry Entry, bool Insert)?> change, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxWriteAttempts; attempt++)
        {
            var snapshot = await _table.ReadAsync(cancellationToken);
            _view.Publish(snapshot);
            if (change(snapshot) is not { } write)
            {
                return false;
            }

            var done = write.Insert
                ? await _table.TryInsertAsync(write.Entry, snapshot.Version, cancellationToken)
                : await _table.TryUpdateAsync(write.Entry, snapshot.Version, cancellationToken);
            if (done)
            {
                // The write is committed: a read after it that fails does not make it fail (the view catches up later).
                try
                {
                    _view.Publish(await _table.ReadAsync(cancellationToken));
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    _view.RequestRefresh();
                }

                return true;
            }
        }

        throw new InvalidOperationException($"The membership table at {_table.Target} kept changing; {MaxWriteAttempts} writes in a row lost the race.");
    }

    private async Task HeartbeatLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.IAmAliveInterval, _time);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            try
            {
                await _table.UpdateIAmAliveAsync(_self.Address, _time.GetUtcNow(), _activations.Count, cancellationToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogHeartbeatFailed(_logger, exception, _table.Target);
            }
        }
    }

    private async Task ProbeLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.ProbeInterval, _time);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            var snapshot = _view.Current;
            if (snapshot.StatusOf(_self.Address) != MembershipStatus.Active)
            {
                continue;
            }

            var targets = ProbeTargets(snapshot);
            lock (_missedProbes)
            {
                foreach (var gone in _missedProbes.Keys.Except(targets).ToList())
                {
                    _missedProbes.Remove(gone);
                }
            }

            await Task.WhenAll(targets.Select(target => ProbeAsync(target, snapshot.Version, cancellationToken)));
        }
    }

    /// <summary>
    /// The next silos after this one on a hash ring of the Active silos, so that each is watched by several others;
    /// and every leaving silo. A leaving silo keeps its share of the grains until its row says Dead, which only it
    /// writes at the end of its departure: one that crashes or hangs on the way must be voted dead like any other, or
    /// its grains would stay unreachable for good.
    /// </summary>
    private List<SiloAddress> ProbeTargets(MembershipSnapshot snapshot)
    {
        var ring = snapshot.ActiveSilos.OrderBy(s => StableHash.Of(s.ToString())).ToList();
        var index = ring.IndexOf(_self.Address);
        var others = ring.Count - 1;
        return Enumerable.Range(1, Math.Min(_options.ProbedSilos, others))
            .Select(offset => ring[(index + offset) % ring.Count])
            .Concat(snapshot.LeavingSilos.Where(silo => silo != _self.Address))
            .ToList();
    }

    private async Task ProbeAsync(SiloAddress target, long version, CancellationToken cancellationToken)
    {
        bool answered;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.ProbeTimeout);
            var connection = await _connections.GetAsync(target, timeout.Token);
            answered = await connection.ProbeAsync(version, _self.Name, _options.ProbeTimeout, _time, CancellationToken.None); // a stop must not read as a missed probe
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            answered = false;
        }

        int missed;
        lock (_missedProbes)
        {
            missed = answered ? 0 : _missedProbes.GetValueOrDefault(target) + 1;
            _missedProbes[target] = missed >= _options.MissedProbesLimit ? 0 : missed;
        }

        if (missed >= _options.MissedProbesLimit)
        {
            LogProbesMissed(_logger, target, missed);
            await VoteAsync(target, cancellationToken);
        }
    }

    private async Task VoteAsync(SiloAddress target, CancellationToken cancellationToken)
    {
        try
        {
            var declared = false;
            // Each attempt decides afresh: one that lost its compare-and-swap must not leave its verdict to the next,
            // which may write nothing (this silo started leaving, say) and would retire a live peer's connection.
            var written = await WriteAsync(snapshot =>
            {
                declared = false;
                var entry = snapshot.Find(target);
                if (entry is null || entry.Status == MembershipStatus.Dead || snapshot.StatusOf(_self.Address) != MembershipStatus.Active)
                {
                    return null;
                }

                var now = _time.GetUtcNow();
                var votes = snapshot.LiveVotesAgainst(entry, now - _options.VoteExpiration).Where(v => v.By != _self.Address).Append(new Suspicion(_self.Address, now)).ToList();
                declared = votes.Count >= VotesRequired(snapshot, target, now);
                return (entry with { Status = declared ? MembershipStatus.Dead : entry.Status, Suspicions = votes }, false);
            }, cancellationToken);
            if (written && declared)
            {
                LogDeclaredOtherDead(_logger, target);
                _connections.Retire(target, _options.ShutdownAnnouncementDelay, _time);
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogVoteFailed(_logger, exception, target);
        }
    }

    /// <summary>
    /// Fresh votes that declare <paramref name="target"/> dead: <see cref="MembershipOptions.VotesForDeath"/>, but no
    /// more than half (rounded up) of the Active silos, less those that look dead too. Counting every Active row would
    /// ask for votes no one is left to give: when two of three silos die together, the survivor alone could never
    /// declare them dead, and their grains would stay out of reach. A silo looks dead when it is suspected (the target,
    /// or a silo with a fresh vote against it) and its heartbeat has not moved for <see cref="MissedHeartbeatsLimit"/>
    /// intervals, as this silo has read it (its own clock's elapsed time: no two clocks are compared). A silo that is
    /// alive but cut off from this one still writes its heartbeat, and one whose heartbeat stalls but answers pings has
    /// no votes against it, so either still counts, and votes are asked for as before.
    /// </summary>
    private int VotesRequired(MembershipSnapshot snapshot, SiloAddress target, DateTimeOffset now)
    {
        var counted = 0;
        foreach (var silo in snapshot.ActiveSilos)
        {
            var entry = snapshot.Find(silo)!;
            var stalled = HeartbeatStalled(entry);
            var suspected = silo == target || snapshot.LiveVotesAgainst(entry, now - _options.VoteExpiration).Count > 0;
            counted += silo == _self.Address || !(stalled && suspected) ? 1 : 0;
        }

        lock (_heartbeatsSeen)
        {
            foreach (var gone in _heartbeatsSeen.Keys.Where(silo => !snapshot.ActiveSilos.Contains(silo)).ToList())
            {
                _heartbeatsSeen.Remove(gone);
            }
        }

        return Math.Max(1, Math.Min(_options.VotesForDeath, (counted + 1) / 2));
    }

    /// <summary>
    /// Whether the silo's heartbeat, as read now, has stayed the same for <see cref="MissedHeartbeatsLimit"/> intervals
    /// of this process's clock since this silo first read that value (false the first time it is read).
    /// </summary>
    private bool HeartbeatStalled(MembershipEntry entry)
    {
        var now = _time.GetTimestamp();
        lock (_heartbeatsSeen)
        {
            if (!_heartbeatsSeen.TryGetValue(entry.Silo, out var seen) || seen.Heartbeat != entry.IAmAliveTime)
            {
                _heartbeatsSeen[entry.Silo] = (entry.IAmAliveTime, now);
                return false;
            }

            return _time.GetElapsedTime(seen.Since, now) >= MissedHeartbeatsLimit * _options.IAmAliveInterval;
        }
    }

    /// <summary>Heartbeat intervals without a heartbeat after which a suspected silo no longer counts towards the votes required.</summary>
    private const int MissedHeartbeatsLimit = 3;

    // Each silo's heartbeat as this silo last read it on a vote, and since when (this process's timestamp) it has read that value.
    private readonly Dictionary<SiloAddress, (DateTimeOffset Heartbeat, long Since)> _heartbeatsSeen = [];

    private async Task HousekeepingLoopAsync(CancellationToken cancellationToken)
    {
        var period = TimeSpan.FromTicks(Math.Clamp(_options.DefunctSiloExpiration.Ticks / 2, TimeSpan.FromSeconds(1).Ticks, TimeSpan.FromMinutes(10).Ticks));
        using var timer = new PeriodicTimer(period, _time);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            try
            {
                var removed = await _table.CleanupDefunctAsync(_time.GetUtcNow() - _options.DefunctSiloExpiration, cancellationToken);
                if (removed > 0)
                {
                    LogCleanedUp(_logger, removed);
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                LogCleanupFailed(_logger, exception, _table.Target);
            }
        }
    }

    [LoggerMessage(EventId = 218, Level = LogLevel.Warning, Message = "Could not write {Status} to the membership table at {Target} while leaving; trying again in {Delay}")]
    private static partial void LogLeaveStepRetried(ILogger logger, Exception exception, MembershipStatus status, string target, TimeSpan delay);

    [LoggerMessage(EventId = 219, Level = LogLevel.Error, Message = "Could not write {Status} to the membership table at {Target} in {Attempts} attempts over 5 seconds; leaving without it: the other silos will vote this one dead once it stops answering")]
    private static partial void LogLeaveStepNotWritten(ILogger logger, Exception? exception, MembershipStatus status, string target, int attempts);

    [LoggerMessage(EventId = 210, Level = LogLevel.Information, Message = "Silo {Silo} joined cluster {ClusterId} (membership at {Target})")]
    private static partial void LogJoined(ILogger logger, SiloAddress silo, string clusterId, string target);

    [LoggerMessage(EventId = 211, Level = LogLevel.Critical, Message = "The cluster declared this silo ({Silo}) dead; it stops now")]
    private static partial void LogDeclaredDead(ILogger logger, SiloAddress silo);

    [LoggerMessage(EventId = 222, Level = LogLevel.Critical, Message = "This silo's row ({Silo}) is no longer in the membership table at {Target} (restored or deleted); it stops now")]
    private static partial void LogOwnRowGone(ILogger logger, SiloAddress silo, string target);

    [LoggerMessage(EventId = 212, Level = LogLevel.Warning, Message = "Silo {Silo} missed {Missed} pings in a row; voting it dead")]
    private static partial void LogProbesMissed(ILogger logger, SiloAddress silo, int missed);

    [LoggerMessage(EventId = 213, Level = LogLevel.Warning, Message = "Declared silo {Silo} dead")]
    private static partial void LogDeclaredOtherDead(ILogger logger, SiloAddress silo);

    [LoggerMessage(EventId = 214, Level = LogLevel.Warning, Message = "Writing the heartbeat to {Target} failed")]
    private static partial void LogHeartbeatFailed(ILogger logger, Exception exception, string target);

    [LoggerMessage(EventId = 215, Level = LogLevel.Warning, Message = "Voting against silo {Silo} failed")]
    private static partial void LogVoteFailed(ILogger logger, Exception exception, SiloAddress silo);

    [LoggerMessage(EventId = 216, Level = LogLevel.Information, Message = "Deleted {Count} rows of long-dead silos")]
    private static partial void LogCleanedUp(ILogger logger, int count);

    [LoggerMessage(EventId = 217, Level = LogLevel.Warning, Message = "Cleaning up defunct silos at {Target} failed")]
    private static partial void LogCleanupFailed(ILogger logger, Exception exception, string target);
}
