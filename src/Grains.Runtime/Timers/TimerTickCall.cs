using System.Text.Json;
using Grains.CodeGeneration;

namespace Grains.Timers;

/// <summary>A timer tick travelling through the activation's mailbox like a call.</summary>
internal sealed class TimerTickCall : GrainCall
{
    private static readonly GrainMethodDescriptor s_tick = new(typeof(IGrainTimer), "Tick", 0, GrainMethodOptions.None);
    private static readonly GrainMethodDescriptor s_interleavingTick = new(typeof(IGrainTimer), "Tick", 0, GrainMethodOptions.AlwaysInterleave);

    private readonly GrainTimer _timer;
    private readonly long _changes;

    /// <summary>A tick of <paramref name="timer"/> as it stood after <paramref name="changes"/> changes, when it fell due.</summary>
    public TimerTickCall(GrainTimer timer, long changes)
    {
        _timer = timer;
        _changes = changes;
    }

    public override GrainMethodDescriptor Method => _timer.Interleave ? s_interleavingTick : s_tick;

    public bool KeepAlive => _timer.KeepAlive;

    public override ValueTask<Exception?> ExecuteAsync(object grain) => _timer.TickAsync(_changes);

    public override void Complete()
    {
    }

    public override Exception? Exception => null;

    public override void Fail(Exception exception) => _timer.OnTickDropped();

    // A tick never leaves its activation.
    public override void SetResponder(ICallResponder responder) => throw new NotSupportedException();

    public override void WriteArguments(IGrainCodec codec, Utf8JsonWriter writer) => throw new NotSupportedException();

    public override void ReadArguments(IGrainCodec codec, ref Utf8JsonReader reader) => throw new NotSupportedException();

    public override void WriteResult(IGrainCodec codec, Utf8JsonWriter writer) => throw new NotSupportedException();

    public override void ReadResult(IGrainCodec codec, ref Utf8JsonReader reader) => throw new NotSupportedException();
}
