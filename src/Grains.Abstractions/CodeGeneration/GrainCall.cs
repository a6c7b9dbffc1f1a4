using System.Text.Json;

namespace Grains.CodeGeneration;

/// <summary>
/// One call to a grain method with its arguments. The source generator emits a sealed subclass per method, so
/// arguments live in typed fields and the call path needs no reflection and no boxing.
/// </summary>
public abstract class GrainCall
{
    public abstract GrainMethodDescriptor Method { get; }

    /// <summary>Routing facts the runtime carries with the call (deadline, hops, sender's view).</summary>
    public GrainCallRouting Routing { get; set; }

    /// <summary>The exception the call ended with, once it has ended with one.</summary>
    public abstract Exception? Exception { get; }

    /// <summary>
    /// Runs the call against the grain instance and keeps the outcome for <see cref="Complete"/>. Returns the exception
    /// the grain threw, if any, so that the runtime can react to it (for example deactivate after a storage conflict).
    /// </summary>
    public abstract ValueTask<Exception?> ExecuteAsync(object grain);

    /// <summary>
    /// Delivers the kept outcome to the caller. The runtime calls it after it has recorded the end of the turn, so a
    /// caller that sees the result never races the activation's own bookkeeping.
    /// </summary>
    public abstract void Complete();

    /// <summary>Fails the call without running it (timeout, activation failure, shutdown, lost connection).</summary>
    public abstract void Fail(Exception exception);

    /// <summary>Sends the outcome to a remote caller instead of a local one.</summary>
    public abstract void SetResponder(ICallResponder responder);

    /// <summary>Writes the arguments as one JSON array (generated).</summary>
    public abstract void WriteArguments(IGrainCodec codec, Utf8JsonWriter writer);

    /// <summary>Reads the arguments from the JSON array the reader is positioned before (generated).</summary>
    public abstract void ReadArguments(IGrainCodec codec, ref Utf8JsonReader reader);

    /// <summary>Writes the result of a call that completed successfully.</summary>
    public abstract void WriteResult(IGrainCodec codec, Utf8JsonWriter writer);

    /// <summary>Reads a result sent by the silo that ran the call and keeps it for <see cref="Complete"/>.</summary>
    public abstract void ReadResult(IGrainCodec codec, ref Utf8JsonReader reader);

    public override string ToString() => Method.DisplayName;

    /// <summary>Moves the reader onto the start of the argument array (generated code calls this).</summary>
    protected static void ReadArgumentsStart(ref Utf8JsonReader reader)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException("The arguments of a grain call must be a JSON array.");
        }
    }

    /// <summary>Moves the reader onto the next argument (generated code calls this).</summary>
    protected static void ReadNextArgument(ref Utf8JsonReader reader)
    {
        if (!reader.Read() || reader.TokenType == JsonTokenType.EndArray)
        {
            throw new JsonException("A grain call carries fewer arguments than its method declares.");
        }
    }
}

/// <summary>What the runtime carries with a call between silos.</summary>
/// <param name="DeadlineUtcMilliseconds">When the caller stops waiting (Unix milliseconds); 0 for none.</param>
/// <param name="Hops">How many times silos have forwarded the call.</param>
/// <param name="Attempts">How many times this process has tried to deliver it.</param>
/// <param name="FromGrain">
/// A grain made the call, in one of its turns, or another silo sent it without marking it as made by no grain (the
/// frame's FromClient flag, which silos of earlier releases never set): an activation never refuses it for a full queue
/// (see <c>GrainsOptions.MaxQueuedCallsPerActivation</c>). A grain has one such call out at a time unless it is
/// reentrant, so these do not flood, and they carry the service's own bookkeeping (lease renewals, releases, deliveries
/// to parents). Calls from clients (gateways), and calls made in the silo's process outside any grain, may be refused:
/// so may a call a grain makes off its turn (after <c>ConfigureAwait(false)</c>, or from <c>Task.Run</c>).
/// </param>
public readonly record struct GrainCallRouting(long DeadlineUtcMilliseconds, int Hops, int Attempts, bool FromGrain = false)
{
    /// <summary>An earlier attempt was written to a connection lost before its answer: the call may have run.</summary>
    public bool MayHaveRun { get; init; }
}
