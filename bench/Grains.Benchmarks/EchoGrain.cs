using Grains;

namespace Grains.Benchmarks;

public interface IEchoGrain : IGrainWithIntegerKey
{
    Task<int> Echo(int value);
}

public sealed class EchoGrain : Grain, IEchoGrain
{
    public Task<int> Echo(int value) => Task.FromResult(value + 1);
}
