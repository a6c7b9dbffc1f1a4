using System.Threading.Channels;

namespace Grains.Benchmarks;

/// <summary>
/// The floor of any turn-based mailbox: requests go through a Channel to one consumer loop, which answers each
/// through a TaskCompletionSource. Continuations run asynchronously, as they must for a mailbox that does not want
/// to run its callers' code.
/// </summary>
public sealed class ChannelMailbox : IAsyncDisposable
{
    private readonly Channel<(int Value, TaskCompletionSource<int> Reply)> _channel =
        Channel.CreateUnbounded<(int, TaskCompletionSource<int>)>(new UnboundedChannelOptions { SingleReader = true });

    private readonly Task _consumer;

    public ChannelMailbox() => _consumer = Task.Run(ConsumeAsync);

    public Task<int> Echo(int value)
    {
        var reply = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _channel.Writer.TryWrite((value, reply));
        return reply.Task;
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Writer.Complete();
        await _consumer;
    }

    private async Task ConsumeAsync()
    {
        await foreach (var (value, reply) in _channel.Reader.ReadAllAsync())
        {
            reply.SetResult(value + 1);
        }
    }
}
