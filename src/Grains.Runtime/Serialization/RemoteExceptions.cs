using System.Reflection;
using System.Text.Json;
using Grains.Storage;

namespace Grains.Serialization;

/// <summary>
/// Carries an exception across processes as its type name, message and stack trace, and rebuilds it on the caller's
/// side with the same type when that type is known and has a (string message) constructor; otherwise the caller gets
/// a <see cref="RemoteGrainException"/> that names the original type. An exception with a public string <c>Code</c>
/// property and a (string code, string message) constructor keeps its code: errors with stable codes stay
/// machine-readable across silos (see docs/contracts.md).
/// </summary>
internal static class RemoteExceptions
{
    public static void Write(Utf8JsonWriter writer, Exception exception)
    {
        writer.WriteStartObject();
        // A remote error passed on (a silo forwarding a call's failure) goes on as what it stands for.
        var remote = exception as RemoteGrainException;
        writer.WriteString("type", remote?.OriginalType ?? exception.GetType().AssemblyQualifiedName);
        writer.WriteString("message", exception.Message);
        writer.WriteString("stackTrace", remote?.RemoteStackTrace ?? exception.StackTrace);
        if (exception is InconsistentStateException inconsistent)
        {
            writer.WriteString("etag", inconsistent.ExpectedEtag);
        }

        if (CodeOf(exception) is { } code)
        {
            writer.WriteString("code", code);
        }

        writer.WriteEndObject();
    }

    public static Exception Read(ReadOnlySpan<byte> payload)
    {
        string? typeName = null, message = null, stackTrace = null, etag = null, code = null;
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
                    case "code": code = value; break;
                }
            }
        }
        catch (Exception exception) when (exception is JsonException or InvalidOperationException)
        {
            // Not JSON, or a string that is not text (invalid UTF-8, a lone surrogate): the call still ends, with this.
            return new RemoteGrainException("unknown", "The remote silo sent an error that could not be read.", null);
        }

        return Create(typeName ?? "unknown", message ?? "", etag, code) ?? new RemoteGrainException(typeName ?? "unknown", message ?? "", stackTrace);
    }

    private static string? CodeOf(Exception exception) =>
        exception.GetType().GetProperty("Code", BindingFlags.Public | BindingFlags.Instance)?.GetValue(exception) as string;

    private static Exception? Create(string typeName, string message, string? etag, string? code)
    {
        Type? type;
        try
        {
            type = Type.GetType(typeName, throwOnError: false);
        }
        catch (Exception exception) when (exception is IOException or BadImageFormatException or ArgumentException or TypeLoadException)
        {
            // An assembly the name points at that cannot be loaded: the error is read as a remote one, and the
            // connection that carried it goes on.
            return null;
        }

        if (type is null || !typeof(Exception).IsAssignableFrom(type))
        {
            return null;
        }

        if (type == typeof(InconsistentStateException))
        {
            return new InconsistentStateException(message, etag);
        }

        if (code is not null && type.GetConstructor(BindingFlags.Public | BindingFlags.Instance, [typeof(string), typeof(string)]) is { } withCode)
        {
            return Make(withCode, [code, message]);
        }

        // The (string) constructor takes the message for most types; where the rebuilt message differs (the string of
        // ArgumentNullException's, ArgumentOutOfRangeException's and ObjectDisposedException's is a parameter or object
        // name), the (message, inner) one is tried. Neither giving the message back, the error is read as a remote one.
        var plain = type.GetConstructor(BindingFlags.Public | BindingFlags.Instance, [typeof(string)]) is { } single ? Make(single, [message]) : null;
        if (plain?.Message == message)
        {
            return plain;
        }

        var withInner = type.GetConstructor(BindingFlags.Public | BindingFlags.Instance, [typeof(string), typeof(Exception)]) is { } pair ? Make(pair, [message, null]) : null;
        return withInner?.Message == message ? withInner : plain;
    }

    private static Exception? Make(ConstructorInfo constructor, object?[] arguments)
    {
        try
        {
            return constructor.Invoke(arguments) as Exception;
        }
        catch (Exception exception) when (exception is TargetInvocationException or MemberAccessException or NotSupportedException)
        {
            // The constructor threw, or the type cannot be made (abstract, say): read as a remote error.
            return null;
        }
    }
}
