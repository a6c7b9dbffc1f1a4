using System.IO.Pipelines;
using System.Threading.Channels;
using Grains.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Grains.Runtime.Tests;

/// <summary>Two connections joined by in-memory pipes: a caller that sends requests and a silo's side that holds them.</summary>
internal static class ConnectionPair
{
    /// <summary>
    /// The pair; a caller given <paramref name="requestClock"/> gives up on requests past their deadline by it. A callee
    /// given <paramref name="calleeFaults"/> answers no pings while they isolate it.
    /// </summary>
    public static (GrainConnection Caller, GrainConnection Callee) Connect(IRequestHandler silo, TimeProvider? requestClock = null, SiloNetworkFaults? calleeFaults = null) =>
        Connect(silo, new TransportOptions(), new Pipe(), requestClock, calleeFaults);

    /// <summary>The pair with these options, the caller writing into <paramref name="toCallee"/> (whose thresholds say when its writes wait).</summary>
    public static (GrainConnection Caller, GrainConnection Callee) Connect(
        IRequestHandler silo, TransportOptions options, Pipe toCallee, TimeProvider? requestClock = null, SiloNetworkFaults? calleeFaults = null)
    {
        var toCaller = new Pipe();
        var caller = new GrainConnection(
            "callee", new DuplexPipe(toCaller.Reader, toCallee.Writer), () => toCallee.Writer.Complete(), null, options, new SiloNetworkFaults(), NullLogger.Instance, requestClock);
        var callee = new GrainConnection(
            "caller", new DuplexPipe(toCallee.Reader, toCaller.Writer), () => toCaller.Writer.Complete(), silo, options, calleeFaults ?? new SiloNetworkFaults(), NullLogger.Instance);
        caller.Start();
        callee.Start();
        return (caller, callee);
    }

    /// <summary>Sends a request that waits until <paramref name="deadlineUtcMilliseconds"/> (0: as long as the connection lives).</summary>
    public static async Task<OutstandingRequest> SendAsync(GrainConnection caller, ReplyLog replies, long deadlineUtcMilliseconds = 0)
    {
        var request = new OutstandingRequest(null!, GrainId.Create("probe", "1"), replies, deadlineUtcMilliseconds);
        await caller.SendRequestAsync(request, GrainConnection.ControlFrame(MessageKind.Request, 0, 0, ""));
        return request;
    }

    public static void Answer(GrainConnection callee, OutstandingRequest request) =>
        callee.SendReply(GrainConnection.ControlFrame(MessageKind.Response, request.CorrelationId, 0, ""));

    internal sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}

/// <summary>The silo's side: records each request and answers only when the test says so.</summary>
internal sealed class HeldRequests : IRequestHandler
{
    private readonly Channel<long> _arrived = Channel.CreateUnbounded<long>();

    public ChannelReader<long> Arrived => _arrived.Reader;

    public void OnRequest(GrainConnection connection, in MessageHeader header, ReadOnlySpan<byte> payload) =>
        _arrived.Writer.TryWrite(header.CorrelationId);
}

/// <summary>The caller's side: which requests were answered, which were lost (and whether written), which expired.</summary>
internal sealed class ReplyLog : IReplyHandler
{
    private readonly Channel<OutstandingRequest> _answered = Channel.CreateUnbounded<OutstandingRequest>();
    private readonly List<(OutstandingRequest Request, bool Written)> _lost = [];
    private readonly List<OutstandingRequest> _expired = [];

    public ChannelReader<OutstandingRequest> Answered => _answered.Reader;

    public List<(OutstandingRequest Request, bool Written)> Lost
    {
        get
        {
            lock (_lost)
            {
                return [.. _lost];
            }
        }
    }

    public List<OutstandingRequest> Expired
    {
        get
        {
            lock (_expired)
            {
                return [.. _expired];
            }
        }
    }

    public void OnReply(OutstandingRequest request, in MessageHeader header, ReadOnlySpan<byte> payload) =>
        _answered.Writer.TryWrite(request);

    public void OnConnectionLost(OutstandingRequest request, bool written, Exception reason)
    {
        lock (_lost)
        {
            _lost.Add((request, written));
        }
    }

    public void OnExpired(OutstandingRequest request)
    {
        lock (_expired)
        {
            _expired.Add(request);
        }
    }
}

/// <summary>Holds the read loop inside the first request until released; records the ones after it.</summary>
internal sealed class FirstRequestHeld : IRequestHandler
{
    private readonly Channel<long> _arrived = Channel.CreateUnbounded<long>();
    private int _requests;

    public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ChannelReader<long> Arrived => _arrived.Reader;

    public void OnRequest(GrainConnection connection, in MessageHeader header, ReadOnlySpan<byte> payload)
    {
        if (Interlocked.Increment(ref _requests) == 1)
        {
            Entered.SetResult();
            Release.Task.Wait(TimeSpan.FromSeconds(10));
            return;
        }

        _arrived.Writer.TryWrite(header.CorrelationId);
    }
}
