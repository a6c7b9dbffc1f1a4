using Grains;

namespace Quotas.Gateway.Tests;

/// <summary>
/// A grain factory that hands out the grains of <typeparamref name="TGrain"/> (string keys) through
/// <paramref name="wrap"/> and every other grain as it is: a test puts itself between a caller and one kind of grain.
/// </summary>
internal sealed class InterceptingGrains<TGrain>(IGrainFactory inner, Func<TGrain, TGrain> wrap) : IGrainFactory
    where TGrain : class, IGrainWithStringKey
{
    public TGrainInterface GetGrain<TGrainInterface>(string primaryKey)
        where TGrainInterface : IGrainWithStringKey
    {
        var grain = inner.GetGrain<TGrainInterface>(primaryKey);
        return grain is TGrain intercepted ? (TGrainInterface)(object)wrap(intercepted) : grain;
    }

    public TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey)
        where TGrainInterface : IGrainWithGuidKey => inner.GetGrain<TGrainInterface>(primaryKey);

    public TGrainInterface GetGrain<TGrainInterface>(long primaryKey)
        where TGrainInterface : IGrainWithIntegerKey => inner.GetGrain<TGrainInterface>(primaryKey);
}
