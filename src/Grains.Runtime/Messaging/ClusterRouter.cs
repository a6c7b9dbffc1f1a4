using System.Text.Json;
using Grains.Activation;
using Grains.CodeGeneration;
using Grains.Cluster;
using Grains.Manifest;
using Grains.Serialization;
using Grains.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Grains.Messaging;

/// <summary>
/// Places every call by consistent hashing over the Active silos of the current view. A call for a grain this silo
/// owns goes to its activation; any other call goes straight to the owner. A silo receiving a call it does not own
/// forwards it (at most <see cref="MaxHops"/> times) or answers "stale view". Calls that surely did not run are
/// retried after the view is refreshed; calls whose connection was lost after sending are retried only when allowed.
/// </summary>
internal sealed partial class ClusterRouter : ICallRouter, IReplyHandler, IRequestHandler
{
    public const int MaxHops = 2;
    private const int MaxAttempts = 12;

    private readonly MembershipView _view;
    private readonly ConnectionPool _connections;
    private readonly GrainTypeRegistry _registry;
    private readonly IGrainCodec _codec;
    private readonly InboundCallTracker _inbound;
    private readonly GrainsOptions _grains;
    private readonly TimeProvider _time;
    private readonly ILogger<ClusterRouter> _logger;
    private readonly LocalSilo? _self;
    private readonly ActivationDirectory? _directory;

    public ClusterRouter(
        MembershipView view,
        ConnectionPool connections,
        GrainTypeRegistry registry,
        IGrainCodec codec,
        InboundCallTracker inbound,
        IOptions<GrainsOptions> grains,
        TimeProvider time,
        ILogger<ClusterRouter> logger,
        LocalSilo? self = null,
        ActivationDirectory? directory = null)
    {
        _view = view;
        _connections = connections;
        _registry = registry;
        _codec = codec;
        _inbound = inbound;
        _grains = grains.Value;
        _time = time;
        _logger = logger;
        _self = self;
        _directory = directory;
    }

    public void Route(GrainId target, GrainCall call) => Route(target, call, handoffFrom: null, inbound: false);

    public void OnRequest(GrainConnection connection, in MessageHeader header, ReadOnlySpan<byte> payload)
    {
        if (header.MembershipVersion > _view.Current.Version)
        {
            _view.RequestRefresh();
        }

        RemoteResponder? responder = null;
        if (header.Kind == MessageKind.Request)
        {
            responder = new RemoteResponder(connection, header.CorrelationId, _inbound.Started(), _codec, connection.MaxSendFrameSize);
        }

        if (!TryReadCall(header, payload, out var target, out var call, out var error))
        {
            LogBadRequest(_logger, connection.RemoteName, error.Message);
            responder?.Fail(error);
            return;
        }

        call.SetResponder((ICallResponder?)responder ?? NoResponder.Instance);
        // A call from another silo is one its grains made, never refused for a full queue, unless that silo says no grain
        // made it (FromClient: a gateway in its process, or a client's call it forwards). Clients send no silo name.
        var fromGrain = header.Sender.Length > 0 && (header.Flags & MessageFlags.FromClient) == 0;
        call.Routing = new GrainCallRouting(LocalDeadline(call, header.DeadlineUtcMilliseconds), header.Hops, 0, fromGrain);
        var handoffFrom = (header.Flags & MessageFlags.Handoff) != 0 ? header.Sender : null;
        if (!Route(target, call, handoffFrom, inbound: true) && responder is not null)
        {
            var snapshot = _view.Current;
            responder.NotDelivered(snapshot.Ring.IsEmpty ? MessageKind.Unavailable : MessageKind.StaleView, snapshot.Version, _self?.Name ?? "");
        }
    }

    /// <summary>
    /// A remote call's deadline on this process's clock. The sender's deadline is on its own clock, which may run ahead
    /// or behind: the call keeps at least the method's response timeout from its arrival here (a caller that waits
    /// longer, by its own settings, keeps its longer deadline as far as the clocks agree), so that no skew has calls
    /// dropped (see ActivationData) or their retries cut short on arrival. 0 (none) stays 0.
    /// </summary>
    private long LocalDeadline(GrainCall call, long senderDeadline) => LocalDeadline(
        _time.GetUtcNow().ToUnixTimeMilliseconds(), (long)(call.Method.ResponseTimeout ?? _grains.ResponseTimeout).TotalMilliseconds, senderDeadline);

    internal static long LocalDeadline(long now, long timeoutMilliseconds, long senderDeadline) =>
        senderDeadline <= 0 ? 0 : now + Math.Clamp(senderDeadline - now, timeoutMilliseconds, Math.Max(timeoutMilliseconds, MaxRemoteWaitMilliseconds));

    /// <summary>
    /// The longest a remote caller's deadline reaches from a call's arrival: a day, past any response timeout in use. A
    /// deadline from the wire is not trusted further: centuries ahead, it overflowed the expiry's timestamp (the call
    /// never expired) or made the retry's wait throw (the call was never answered).
    /// </summary>
    internal const long MaxRemoteWaitMilliseconds = 24 * 60 * 60 * 1000;

    public void OnReply(OutstandingRequest request, in MessageHeader header, ReadOnlySpan<byte> payload)
    {
        var call = request.Call;
        switch (header.Kind)
        {
            case MessageKind.Response:
                try
                {
                    var reader = new Utf8JsonReader(payload);
                    call.ReadResult(_codec, ref reader);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    // Malformed JSON, or a result type that cannot be built back (a converter or setter that throws): the
                    // call fails, and the connection that carried it goes on with the others.
                    call.Fail(new InvalidOperationException($"The result of {call.Method.DisplayName} could not be read: {exception.Message}", exception));
                    return;
                }

                call.Complete();
                break;
            case MessageKind.Failure:
                call.Fail(RemoteExceptions.Read(payload));
                break;
            default:
                // Stale view or unavailable: the call did not run anywhere.
                _view.RequestRefresh();
                Retry(request.Target, call, new SiloUnavailableException(
                    $"Silo {header.Sender} did not take the call {call.Method.DisplayName} to grain {request.Target} ({header.Kind})."));
                break;
        }
    }

    public void OnConnectionLost(OutstandingRequest request, bool written, Exception reason)
    {
        _view.RequestRefresh();
        var call = request.Call;
        if (!written || call.Method.IsIdempotent || _grains.RetryCallsWithUnknownOutcome)
        {
            if (written)
            {
                call.Routing = call.Routing with { MayHaveRun = true };
            }

            Retry(request.Target, call, new SiloUnavailableException($"The call {call.Method.DisplayName} to grain {request.Target} could not be delivered.", reason));
        }
        else
        {
            call.Fail(new GrainConnectionLostException(
                $"The connection carrying the call {call.Method.DisplayName} to grain {request.Target} was lost before the answer; the call may or may not have run.",
                reason));
        }
    }

    /// <summary>
    /// The callee did not answer by the call's deadline (a hung grain, or a silo that reads but never replies). The
    /// caller has stopped waiting on its own timer already; a call forwarded for another process fails here, so that
    /// its caller learns it now, and neither keeps an entry for an answer that may never come.
    /// </summary>
    public void OnExpired(OutstandingRequest request)
    {
        var call = request.Call;
        call.Fail(new GrainCallTimeoutException(request.Target, call.Method.DisplayName, call.Method.ResponseTimeout ?? _grains.ResponseTimeout));
    }

    /// <summary>
    /// Places a call: on a local activation when this silo keeps the grain (or is handed it by a leaving silo), else on
    /// the owner. A leaving silo hands grains it no longer hosts to their Active successor. Returns false when the
    /// call has used its hops and should go back to the caller as "stale view".
    /// </summary>
    private bool Route(GrainId target, GrainCall call, string? handoffFrom, bool inbound)
    {
        var snapshot = _view.Current;
        var activeOwner = snapshot.ActiveRing.GetOwner(target);
        if (_directory is not null && _self is { HasJoined: true } self)
        {
            var keptHere = activeOwner is { } kept && self.Is(kept);
            var owner = ReferenceEquals(snapshot.Ring, snapshot.ActiveRing) ? activeOwner : snapshot.Ring.GetOwner(target);
            if ((keptHere && (handoffFrom is not null || _directory.HasActivation(target))) ||
                (owner is { } own && self.Is(own)))
            {
                if (_directory.TryDeliver(target, call, allowNewActivation: self.AcceptsActivations))
                {
                    LeaveIfPlacedElsewhere(target, snapshot, self);
                    return true;
                }

                // Leaving, and the grain is no longer here: hand it to the Active successor.
                return Forward(target, call, activeOwner, snapshot, MessageFlags.Handoff, inbound);
            }

            return Forward(target, call, owner, snapshot, self.AcceptsActivations ? MessageFlags.None : MessageFlags.Handoff, inbound);
        }

        return Forward(target, call, snapshot.Ring.GetOwner(target), snapshot, MessageFlags.None, inbound);
    }

    /// <summary>
    /// A view published after <paramref name="routedBy"/> was read moves the grain away: the silo deactivated what
    /// that view places elsewhere among the activations it had then, which the one just created may not have been
    /// among. Deactivated now (its calls are routed again to the owner), it does not live on beside the owner's
    /// activation until the next membership change.
    /// </summary>
    private void LeaveIfPlacedElsewhere(GrainId target, MembershipSnapshot routedBy, LocalSilo self)
    {
        var latest = _view.Current;
        if (!ReferenceEquals(latest, routedBy) && self.AcceptsActivations && latest.ActiveRing.GetOwner(target) is { } owner && !self.Is(owner))
        {
            _ = _directory!.Deactivate(target, ClusterParticipation.PlacedElsewhere(latest));
        }
    }

    private bool Forward(GrainId target, GrainCall call, SiloAddress? owner, MembershipSnapshot snapshot, MessageFlags flags, bool inbound)
    {
        if (owner is not { } silo || (_self?.Is(silo) ?? false))
        {
            Retry(target, call, new SiloUnavailableException($"No active silo can take the call {call.Method.DisplayName} to grain {target}."));
            return true;
        }

        // A call received from another process is forwarded at most MaxHops times, then bounced to its caller.
        if (inbound)
        {
            if (call.Routing.Hops >= MaxHops)
            {
                return false;
            }

            call.Routing = call.Routing with { Hops = call.Routing.Hops + 1 };
        }

        _ = SendAsync(silo, target, call, snapshot.Version, flags);
        return true;
    }

    private Task SendAsync(SiloAddress silo, GrainId target, GrainCall call, long version, MessageFlags flags)
    {
        // The common case, an open connection, stays synchronous: no state machine per call.
        if (_connections.TryGetOpen(silo, out var open))
        {
            Send(open, target, call, version, flags);
            return Task.CompletedTask;
        }

        return ConnectAndSendAsync(silo, target, call, version, flags);
    }

    private async Task ConnectAndSendAsync(SiloAddress silo, GrainId target, GrainCall call, long version, MessageFlags flags)
    {
        GrainConnection connection;
        try
        {
            connection = await _connections.GetAsync(silo, CancellationToken.None);
        }
        catch (Exception exception)
        {
            _view.RequestRefresh();
            Retry(target, call, exception as SiloUnavailableException ?? new SiloUnavailableException($"Cannot reach silo {silo}.", exception));
            return;
        }

        Send(connection, target, call, version, flags);
    }

    private void Send(GrainConnection connection, GrainId target, GrainCall call, long version, MessageFlags flags)
    {
        if (_self is not null && !call.Routing.FromGrain)
        {
            flags |= MessageFlags.FromClient;
        }

        FrameBuilder frame;
        try
        {
            frame = Frames.Request(0, target, call, version, _self?.Name ?? "", flags, _codec, connection.MaxSendFrameSize);
        }
        catch (Exception exception)
        {
            call.Fail(new ArgumentException($"The arguments of {call.Method.DisplayName} could not be sent: {exception.Message}", exception));
            return;
        }

        if (call.Method.IsOneWay)
        {
            _ = connection.SendOneWayAsync(frame);
        }
        else
        {
            _ = connection.SendRequestAsync(new OutstandingRequest(call, target, this, call.Routing.DeadlineUtcMilliseconds), frame);
        }
    }

    /// <summary>Tries again after a pause and a fresh view, until the call's deadline or the attempt limit.</summary>
    private void Retry(GrainId target, GrainCall call, SiloUnavailableException reason)
    {
        var routing = call.Routing;
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (routing.Attempts + 1 >= MaxAttempts || (routing.DeadlineUtcMilliseconds > 0 && now >= routing.DeadlineUtcMilliseconds))
        {
            GiveUp(call, reason);
            return;
        }

        call.Routing = routing with { Attempts = routing.Attempts + 1 };
        _ = RetryAsync(target, call, TimeSpan.FromMilliseconds(Math.Min(25 << routing.Attempts, 500)), reason);
    }

    /// <summary>
    /// Routes the call again after <paramref name="delay"/> and a fresh view, unless its deadline passed meanwhile: its
    /// caller has stopped waiting then, and the call, sent anyway, would run with no one to take its answer, perhaps
    /// after the caller's own retry. A membership read that hangs holds the call no longer than its deadline.
    /// </summary>
    private async Task RetryAsync(GrainId target, GrainCall call, TimeSpan delay, SiloUnavailableException reason)
    {
        var deadline = call.Routing.DeadlineUtcMilliseconds;
        try
        {
            await Task.Delay(delay, _time);
            using var untilDeadline = deadline > 0 ? new CancellationTokenSource(TimeUntil(deadline), _time) : null;
            await _view.RefreshAsync(untilDeadline?.Token ?? CancellationToken.None);
        }
        catch (Exception exception)
        {
            LogRetryRefreshFailed(_logger, exception);
        }

        if (deadline > 0 && TimeUntil(deadline) == TimeSpan.Zero)
        {
            GiveUp(call, reason);
            return;
        }

        Route(target, call);
    }

    /// <summary>
    /// Fails a call whose retries ran out with the last reason, which says only why the last attempt did not run:
    /// when an earlier attempt was written before its connection was lost, the call may have run, and the caller
    /// must not take it for one that did not (a plain <see cref="SiloUnavailableException"/>).
    /// </summary>
    private static void GiveUp(GrainCall call, SiloUnavailableException reason) =>
        call.Fail(call.Routing.MayHaveRun && reason is not GrainConnectionLostException
            ? new GrainConnectionLostException(
                $"The connection carrying the call {call.Method.DisplayName} was lost before the answer, and no retry reached a silo; the call may or may not have run.",
                reason)
            : reason);

    private TimeSpan TimeUntil(long deadlineUtcMilliseconds) =>
        TimeSpan.FromMilliseconds(Math.Max(0, deadlineUtcMilliseconds - _time.GetUtcNow().ToUnixTimeMilliseconds()));

    private bool TryReadCall(in MessageHeader header, ReadOnlySpan<byte> payload, out GrainId target, out GrainCall call, out Exception error)
    {
        target = default;
        call = null!;
        error = null!;
        if (!_registry.TryGetMethod(header.Interface, header.MethodId, out var method) || method.CreateCall is null)
        {
            error = new UnknownGrainMethodException($"This silo has no method {header.MethodId:X8} on {header.Interface}; the caller's contract is newer or different.");
            return false;
        }

        try
        {
            target = GrainId.Create(header.GrainType, header.GrainKey);
            call = method.CreateCall();
            var reader = new Utf8JsonReader(payload);
            call.ReadArguments(_codec, ref reader);
            return true;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Malformed JSON, or an argument type that cannot be built back: the call is refused, and the connection
            // that carried it goes on with the others.
            error = new ArgumentException($"The arguments of {method.DisplayName} could not be read: {exception.Message}", exception);
            return false;
        }
    }

    [LoggerMessage(EventId = 320, Level = LogLevel.Warning, Message = "Refused a request from {Remote}: {Reason}")]
    private static partial void LogBadRequest(ILogger logger, string remote, string reason);

    [LoggerMessage(EventId = 321, Level = LogLevel.Debug, Message = "Refreshing the view before a retry failed")]
    private static partial void LogRetryRefreshFailed(ILogger logger, Exception exception);
}
