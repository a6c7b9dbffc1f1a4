namespace Quotas.Gateway.Streams;

/// <summary>
/// Counts the event streams this gateway holds open, up to <see cref="GatewayOptions.MaxEventStreams"/>: each stream
/// asks its tenant's grain every interval for as long as it lasts, so their number is bounded like any other load.
/// </summary>
internal sealed class EventStreamSlots(GatewayOptions options)
{
    private int _open;

    public int Open => Volatile.Read(ref _open);

    /// <summary>A slot for one stream, or null when all are taken; disposing the slot frees it (once).</summary>
    public IDisposable? TryTake()
    {
        if (Interlocked.Increment(ref _open) > options.MaxEventStreams)
        {
            Interlocked.Decrement(ref _open);
            return null;
        }

        return new Slot(this);
    }

    private sealed class Slot(EventStreamSlots owner) : IDisposable
    {
        private int _freed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _freed, 1) == 0)
            {
                Interlocked.Decrement(ref owner._open);
            }
        }
    }
}
