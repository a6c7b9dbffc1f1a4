using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Grains.CodeGeneration;

/// <summary>A call whose method produces <typeparamref name="TResult"/> (<see cref="NoResult"/> for Task and ValueTask).</summary>
public abstract class GrainCall<TResult> : GrainCall
{
    private ICallResultSink<TResult>? _sink;
    private ICallResponder? _responder;
    private TResult? _result;
    private Exception? _exception;

    public override Exception? Exception => _exception;

    /// <summary>Set by the runtime before the call is delivered.</summary>
    public void SetResultSink(ICallResultSink<TResult> sink) => _sink = sink;

    public sealed override void SetResponder(ICallResponder responder) => _responder = responder;

    /// <summary>Invokes the grain method with this call's arguments (generated).</summary>
    protected abstract ValueTask<TResult> InvokeCoreAsync(object grain);

    public sealed override ValueTask<Exception?> ExecuteAsync(object grain)
    {
        ValueTask<TResult> invocation;
        try
        {
            invocation = InvokeCoreAsync(grain);
        }
        catch (Exception exception)
        {
            _exception = exception;
            return new ValueTask<Exception?>(exception);
        }

        // Most grain methods complete synchronously; they skip the async machinery entirely.
        if (invocation.IsCompletedSuccessfully)
        {
            _result = invocation.Result;
            return default;
        }

        return AwaitInvocationAsync(invocation);
    }

    public sealed override void Complete()
    {
        if (_responder is not null)
        {
            _responder.Respond(this);
        }
        else if (_exception is not null)
        {
            _sink?.SetException(_exception);
        }
        else
        {
            _sink?.SetResult(_result!);
        }
    }

    public sealed override void Fail(Exception exception)
    {
        _exception = exception;
        if (_responder is not null)
        {
            _responder.Respond(this);
        }
        else
        {
            _sink?.SetException(exception);
        }
    }

    public sealed override void WriteResult(IGrainCodec codec, Utf8JsonWriter writer) => codec.WriteValue(writer, _result);

    public sealed override void ReadResult(IGrainCodec codec, ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new JsonException("The result of a grain call is missing.");
        }

        _result = codec.ReadValue<TResult>(ref reader);
    }

    /// <summary>Adapts a Task-returning grain method (generated code calls this).</summary>
    protected static ValueTask<NoResult> FromTask(Task task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return task.IsCompletedSuccessfully ? default : AwaitTask(task);
    }

    /// <summary>Adapts a ValueTask-returning grain method (generated code calls this).</summary>
    protected static ValueTask<NoResult> FromValueTask(ValueTask task) =>
        task.IsCompletedSuccessfully ? default : AwaitValueTask(task);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Exception?> AwaitInvocationAsync(ValueTask<TResult> invocation)
    {
        try
        {
            _result = await invocation.ConfigureAwait(false);
            return null;
        }
        catch (Exception exception)
        {
            _exception = exception;
            return exception;
        }
    }

    private static async ValueTask<NoResult> AwaitTask(Task task)
    {
        await task.ConfigureAwait(false);
        return default;
    }

    private static async ValueTask<NoResult> AwaitValueTask(ValueTask task)
    {
        await task.ConfigureAwait(false);
        return default;
    }
}
