namespace Grains.AdoNet.Dialects;

/// <summary>
/// A writer's turn at a database whose writers this process queues (<see cref="SqlDialect.WriteGate"/>), held until
/// disposed; a database without a gate gives every writer its turn at once.
/// </summary>
internal readonly struct WriteTurn : IDisposable
{
    private readonly SemaphoreSlim? _gate;

    private WriteTurn(SemaphoreSlim gate) => _gate = gate;

    public static async ValueTask<WriteTurn> TakeAsync(SemaphoreSlim? gate, CancellationToken cancellationToken)
    {
        if (gate is null)
        {
            return default;
        }

        await gate.WaitAsync(cancellationToken);
        return new WriteTurn(gate);
    }

    public void Dispose() => _gate?.Release();
}
