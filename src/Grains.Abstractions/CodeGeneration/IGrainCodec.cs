using System.Text.Json;

namespace Grains.CodeGeneration;

/// <summary>
/// Writes and reads the arguments and results of calls that cross a process boundary, one JSON value at a time.
/// Generated code calls the generic methods with the static type of each argument, so nothing is boxed and type
/// metadata is looked up once per type, not per call.
/// </summary>
public interface IGrainCodec
{
    void WriteValue<T>(Utf8JsonWriter writer, T value);

    /// <summary>Reads the value whose first token the reader is positioned on.</summary>
    T ReadValue<T>(ref Utf8JsonReader reader);
}

/// <summary>Receives the outcome of a call that a remote caller is waiting for.</summary>
public interface ICallResponder
{
    void Respond(GrainCall call);
}
