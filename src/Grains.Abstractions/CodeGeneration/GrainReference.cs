namespace Grains.CodeGeneration;

/// <summary>Base class of generated grain proxies. Equality is by <see cref="GrainId"/>.</summary>
public abstract class GrainReference : IEquatable<GrainReference>
{
    private readonly IGrainCallInvoker _invoker;

    protected GrainReference(IGrainCallInvoker invoker, GrainId grainId)
    {
        ArgumentNullException.ThrowIfNull(invoker);
        _invoker = invoker;
        GrainId = grainId;
    }

    public GrainId GrainId { get; }

    protected Task<TResult> InvokeAsync<TResult>(GrainCall<TResult> call) => _invoker.InvokeAsync(GrainId, call);

    protected ValueTask<TResult> InvokeValueTaskAsync<TResult>(GrainCall<TResult> call) => new(_invoker.InvokeAsync(GrainId, call));

    protected Task InvokeVoidAsync(GrainCall<NoResult> call) => _invoker.InvokeAsync(GrainId, call);

    protected ValueTask InvokeVoidValueTaskAsync(GrainCall<NoResult> call) => new(_invoker.InvokeAsync(GrainId, call));

    protected Task InvokeOneWay(GrainCall<NoResult> call)
    {
        _invoker.InvokeOneWay(GrainId, call);
        return Task.CompletedTask;
    }

    protected ValueTask InvokeOneWayValueTask(GrainCall<NoResult> call)
    {
        _invoker.InvokeOneWay(GrainId, call);
        return default;
    }

    public bool Equals(GrainReference? other) => other is not null && GrainId == other.GrainId;

    public override bool Equals(object? obj) => obj is GrainReference other && Equals(other);

    public override int GetHashCode() => GrainId.GetHashCode();

    public override string ToString() => GrainId.ToString();
}
