namespace Grains.CodeGeneration;

/// <summary>Where the outcome of a call goes: the local caller's task, or a response sent back over the network.</summary>
public interface ICallResultSink<in TResult>
{
    void SetResult(TResult result);

    void SetException(Exception exception);
}
