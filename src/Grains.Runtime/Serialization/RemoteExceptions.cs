using System.Reflection;
using System.Text.Json;
using Grains.Storage;

namespace Grains.Serialization;

/// <summary>
/// Carries an exception across processes as its type name, message and stack trace, and rebuilds it on the caller's
/// side with the same type when that type is known and has a (string message) constructor; otherwise the caller gets
/// a <see cref="RemoteGrainException"/> that names the original type.
/// </summary>
internal static class RemoteExceptions
{
    public static void Write(Utf8JsonWriter writer, Exception exception)
    {
        writer.WriteStartObject();
        writer.WriteString("type", exception.GetType().AssemblyQualifiedName);
        writer.WriteString("message", exception.Message);
        writer.WriteString("stackTrace", exception.StackTrace);
        if (exception is InconsistentStateException inconsistent)
        {
            writer.WriteString("etag", inconsistent.ExpectedEtag);
        }

        writer.WriteEndObject();
    }

    public static Exception Read(ReadOnlySpan<byte> payload)
    {
        string? typeName = null, message = null, stackTrace = null, etag = null;
        try
        {
            var reader = new Utf8JsonReader(payload);
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName)
                {
                    continue;
                }

                var name = reader.GetString();
                reader.Read();
                var value = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                switch (name)
                {
                    case "type": typeName = value; break;
                    case "message": message = value; break;
                    case "stackTrace": stackTrace = value; break;
                    case "etag": etag = value; break;
                }
            }
        }
        catch (JsonException)
        {
            return new RemoteGrainException("unknown", "The remote silo sent an error that could not be read.", null);
        }

        return Create(typeName ?? "unknown", message ?? "", etag) ?? new RemoteGrainException(typeName ?? "unknown", message ?? "", stackTrace);
    }

    private static Exception? Create(string typeName, string message, string? etag)
    {
        var type = Type.GetType(typeName, throwOnError: false);
        if (type is null || !typeof(Exception).IsAssignableFrom(type))
        {
            return null;
        }

        if (type == typeof(InconsistentStateException))
        {
            return new InconsistentStateException(message, etag);
        }

        var constructor = type.GetConstructor(BindingFlags.Public | BindingFlags.Instance, [typeof(string)]);
        try
        {
            return constructor?.Invoke([message]) as Exception;
        }
        catch (TargetInvocationException)
        {
            return null;
        }
    }
}
