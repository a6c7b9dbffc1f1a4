using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Grains.Transport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Grains.Runtime.Tests;

/// <summary>
/// Answers never wait for room in the send queue (a turn must not block on its peer), so a peer that sends requests
/// and reads none of the answers is cut off once they pass 16 times the queue's capacity while it takes nothing; a
/// peer that reads them as it goes keeps its connection however many it asks for in all.
/// </summary>
public sealed class ReplyQueueTests
{
    private const int Pings = 400;

    /// <summary>Pings a reading peer sends before it reads their answers: within the bound (16 times a queue of 4).</summary>
    private const int Window = 40;

    [Fact]
    public async Task A_peer_that_reads_none_of_its_answers_is_cut_off()
    {
        var toSilo = new Pipe();
        var toPeer = new StalledWriter(new Pipe().Writer);
        var silo = Start(toSilo, toPeer);

        // The first answer's flush waits on the peer for good; every answer after it can only queue.
        await SendPingsAsync(toSilo.Writer, 1);
        await toPeer.Flushing.WaitAsync(TimeSpan.FromSeconds(30));
        await SendPingsAsync(toSilo.Writer, Pings);

        await silo.Closed.WaitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// One-way calls get no answer but are calls: to a peer that takes nothing they wait for room, as requests do,
    /// rather than pile up past the bound and have the connection, with every call on it, cut off.
    /// </summary>
    [Fact]
    public async Task One_way_calls_to_a_peer_that_takes_nothing_wait_for_room_and_the_connection_stays()
    {
        var toPeer = new StalledWriter(new Pipe().Writer);
        var silo = Start(new Pipe(), toPeer);
        _ = silo.SendOneWayAsync(GrainConnection.ControlFrame(MessageKind.Ping, 1, 0, ""));
        await toPeer.Flushing.WaitAsync(TimeSpan.FromSeconds(30));

        var sends = Enumerable.Range(2, Pings).Select(i => silo.SendOneWayAsync(GrainConnection.ControlFrame(MessageKind.Ping, i, 0, "")).AsTask()).ToList();

        Assert.False(silo.Closed.IsCompleted);
        Assert.Contains(sends, send => !send.IsCompleted);
        silo.Abort();
        await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_peer_that_reads_its_answers_keeps_its_connection()
    {
        var (silo, toSilo, toPeer) = Connect();

        // Asked for a window at a time, each read before the next is sent, as a peer that keeps up: never more answers
        // waiting than the window, however many it asks for in all. (A peer that sends faster than it reads may fall
        // behind by more than the bound, and is cut off, as one that reads nothing.)
        var answered = 0;
        for (var sent = 0; sent < Pings; sent += Window)
        {
            await SendPingsAsync(toSilo.Writer, Window);
            answered += await CountFramesAsync(toPeer.Reader, Window).WaitAsync(TimeSpan.FromSeconds(30));
        }

        Assert.Equal(Pings, answered);
        Assert.False(silo.Closed.IsCompleted);
        silo.Abort();
    }

    /// <summary>A silo's side of a connection whose way back to the peer holds only 1 KiB unread.</summary>
    private static (GrainConnection Silo, Pipe ToSilo, Pipe ToPeer) Connect()
    {
        var toSilo = new Pipe();
        var toPeer = new Pipe(new PipeOptions(pauseWriterThreshold: 1024, resumeWriterThreshold: 512));
        return (Start(toSilo, toPeer.Writer), toSilo, toPeer);
    }

    private static GrainConnection Start(Pipe toSilo, PipeWriter toPeer)
    {
        var silo = new GrainConnection(
            "peer",
            new ConnectionPair.DuplexPipe(toSilo.Reader, toPeer),
            () => toPeer.Complete(),
            new HeldRequests(),
            new TransportOptions { SendQueueCapacity = 4 },
            new SiloNetworkFaults(),
            NullLogger.Instance);
        silo.Start();
        return silo;
    }

    private static async Task SendPingsAsync(PipeWriter writer, int count)
    {
        for (var i = 1; i <= count; i++)
        {
            var frame = GrainConnection.ControlFrame(MessageKind.Ping, i, 0, "");
            writer.Write(frame.Memory.Span);
            frame.Return();
            await writer.FlushAsync();
        }
    }

    private static async Task<int> CountFramesAsync(PipeReader reader, int expected)
    {
        var frames = 0;
        while (frames < expected)
        {
            var result = await reader.ReadAsync();
            var buffer = result.Buffer;
            while (buffer.Length >= 4)
            {
                var prefix = new byte[4];
                buffer.Slice(0, 4).CopyTo(prefix);
                var length = BinaryPrimitives.ReadInt32LittleEndian(prefix);
                if (buffer.Length < 4 + length)
                {
                    break;
                }

                buffer = buffer.Slice(4 + length);
                frames++;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        return frames;
    }

    /// <summary>The way to a peer that takes nothing: what is written stays, and no flush ever completes.</summary>
    private sealed class StalledWriter(PipeWriter inner) : PipeWriter
    {
        private readonly TaskCompletionSource _flushing = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes once a flush waits.</summary>
        public Task Flushing => _flushing.Task;

        public override void Advance(int bytes) => inner.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override void CancelPendingFlush()
        {
        }

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            _flushing.TrySetResult();
            return new(NeverAsync(cancellationToken));
        }

        private static async Task<FlushResult> NeverAsync(CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return default;
        }
    }
}
