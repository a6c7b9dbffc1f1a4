namespace Grains.CodeGeneration;

/// <summary>The runtime side of a grain reference: delivers calls to wherever the grain is activated.</summary>
public interface IGrainCallInvoker
{
    Task<TResult> InvokeAsync<TResult>(GrainId target, GrainCall<TResult> call);

    /// <summary>Sends a call without waiting for it; failures are logged by the runtime.</summary>
    void InvokeOneWay(GrainId target, GrainCall<NoResult> call);
}
