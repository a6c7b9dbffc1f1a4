using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Quotas.LoadTest.Redis;

/// <summary>RESP2 on the wire: commands as arrays of bulk strings, replies parsed from a buffer that may hold partial ones.</summary>
internal static class RespProtocol
{
    private static ReadOnlySpan<byte> CrLf => "\r\n"u8;

    public static void Write(IBufferWriter<byte> output, RespCommand command)
    {
        WriteHeader(output, (byte)'*', command.Parts);
        WriteBulk(output, command.Name);
        if (command.Key is not null)
        {
            WriteBulk(output, command.Key);
        }

        if (command.Argument is { } argument)
        {
            Span<byte> digits = stackalloc byte[20];
            Utf8Formatter.TryFormat(argument, digits, out var length);
            WriteHeader(output, (byte)'$', length);
            output.Write(digits[..length]);
            output.Write(CrLf);
        }
    }

    /// <summary>Reads one whole reply from the start of <paramref name="buffer"/> and slices it off; false when the
    /// buffer does not hold a whole reply yet.</summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, out RespValue value)
    {
        value = default;
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryRead(out var type) || !reader.TryReadTo(out ReadOnlySequence<byte> line, CrLf))
        {
            return false;
        }

        switch (type)
        {
            case (byte)'+':
                value = new RespValue(RespKind.SimpleString, 0, Encoding.UTF8.GetString(line));
                break;
            case (byte)'-':
                value = new RespValue(RespKind.Error, 0, Encoding.UTF8.GetString(line));
                break;
            case (byte)':':
                value = new RespValue(RespKind.Integer, ParseInteger(line), null);
                break;
            case (byte)'$':
                var length = ParseInteger(line);
                if (length < 0)
                {
                    value = new RespValue(RespKind.Null, 0, null);
                    break;
                }

                if (reader.Remaining < length + 2)
                {
                    return false;
                }

                value = new RespValue(RespKind.BulkString, 0, Encoding.UTF8.GetString(reader.UnreadSequence.Slice(0, length)));
                reader.Advance(length);
                if (!reader.IsNext(CrLf, advancePast: true))
                {
                    throw new RespException("A bulk string reply does not end with CRLF.");
                }

                break;
            default:
                throw new RespException($"Unexpected reply type '{(char)type}' (arrays are not used by this client).");
        }

        buffer = buffer.Slice(reader.Position);
        return true;
    }

    private static long ParseInteger(ReadOnlySequence<byte> line)
    {
        Span<byte> text = stackalloc byte[21];
        if (line.Length > text.Length)
        {
            throw new RespException("An integer in a reply is longer than 21 characters.");
        }

        line.CopyTo(text);
        text = text[..(int)line.Length];
        return Utf8Parser.TryParse(text, out long value, out var consumed) && consumed == text.Length
            ? value
            : throw new RespException($"'{Encoding.ASCII.GetString(text)}' in a reply is not an integer.");
    }

    private static void WriteHeader(IBufferWriter<byte> output, byte type, int count)
    {
        var span = output.GetSpan(16);
        span[0] = type;
        Utf8Formatter.TryFormat(count, span[1..], out var length);
        "\r\n"u8.CopyTo(span[(1 + length)..]);
        output.Advance(length + 3);
    }

    private static void WriteBulk(IBufferWriter<byte> output, string text)
    {
        var bytes = Encoding.UTF8.GetByteCount(text);
        WriteHeader(output, (byte)'$', bytes);
        var span = output.GetSpan(bytes + 2);
        Encoding.UTF8.GetBytes(text, span);
        CrLf.CopyTo(span[bytes..]);
        output.Advance(bytes + 2);
    }
}
