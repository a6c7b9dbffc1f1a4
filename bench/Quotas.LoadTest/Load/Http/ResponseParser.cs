using System.Buffers.Text;
using System.Text;

namespace Quotas.LoadTest.Load.Http;

/// <summary>
/// Reads one HTTP/1.1 response from the bytes received so far: enough to know its status, where it ends and whether
/// the connection stays open. Bodies are framed by <c>Content-Length</c> or chunked encoding; a response framed by
/// closing the connection is refused, since the generator could not tell its end from a failure.
/// </summary>
internal static class ResponseParser
{
    private static ReadOnlySpan<byte> HeaderEnd => "\r\n\r\n"u8;
    private static ReadOnlySpan<byte> LineEnd => "\r\n"u8;
    private static ReadOnlySpan<byte> VersionPrefix => "HTTP/1."u8;

    public static ParsedResponse Parse(ReadOnlySpan<byte> received)
    {
        var headerEnd = received.IndexOf(HeaderEnd);
        if (headerEnd < 0)
        {
            return ParsedResponse.Incomplete;
        }

        var head = received[..headerEnd];
        var statusLineEnd = head.IndexOf(LineEnd);
        var statusLine = statusLineEnd < 0 ? head : head[..statusLineEnd];
        if (!statusLine.StartsWith(VersionPrefix) || statusLine.Length < 12 || statusLine[8] != (byte)' '
            || !Utf8Parser.TryParse(statusLine.Slice(9, 3), out int status, out var digits) || digits != 3)
        {
            return ParsedResponse.Invalid("the status line is not HTTP/1.x with a three-digit status");
        }

        long? contentLength = null;
        var chunked = false;
        var rateLimited = false;
        var close = statusLine[7] == (byte)'0';
        var headers = statusLineEnd < 0 ? [] : head[(statusLineEnd + 2)..];
        while (!headers.IsEmpty)
        {
            var end = headers.IndexOf(LineEnd);
            var line = end < 0 ? headers : headers[..end];
            headers = end < 0 ? [] : headers[(end + 2)..];
            var colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                return ParsedResponse.Invalid("a header line has no name");
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(" \t"u8);
            if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                if (!Utf8Parser.TryParse(value, out long length, out var used) || used != value.Length || length < 0)
                {
                    return ParsedResponse.Invalid("Content-Length is not a number");
                }

                contentLength = length;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
            {
                chunked = Ascii.EqualsIgnoreCase(value, "chunked"u8);
                if (!chunked)
                {
                    return ParsedResponse.Invalid("a transfer encoding other than chunked");
                }
            }
            else if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
            {
                close = Ascii.EqualsIgnoreCase(value, "close"u8);
            }
            else if (Ascii.EqualsIgnoreCase(name, "RateLimit"u8))
            {
                rateLimited = true;
            }
        }

        var bodyStart = headerEnd + HeaderEnd.Length;
        if (status is (>= 100 and < 200) or 204 or 304)
        {
            return ParsedResponse.Complete(status, bodyStart, !close, rateLimited);
        }

        if (chunked)
        {
            var (complete, end, error) = ChunkedEnd(received, bodyStart);
            return error is not null ? ParsedResponse.Invalid(error)
                : complete ? ParsedResponse.Complete(status, end, !close, rateLimited)
                : ParsedResponse.Incomplete;
        }

        if (contentLength is not { } bodyLength)
        {
            return ParsedResponse.Invalid("the response has neither Content-Length nor chunked encoding");
        }

        var total = bodyStart + bodyLength;
        return received.Length >= total ? ParsedResponse.Complete(status, (int)total, !close, rateLimited) : ParsedResponse.Incomplete;
    }

    /// <summary>Walks the chunks from <paramref name="offset"/>: where the body ends, if all of it has arrived.</summary>
    private static (bool Complete, int End, string? Error) ChunkedEnd(ReadOnlySpan<byte> received, int offset)
    {
        while (true)
        {
            var sizeEnd = received[offset..].IndexOf(LineEnd);
            if (sizeEnd < 0)
            {
                return (false, 0, null);
            }

            var sizeField = received.Slice(offset, sizeEnd);
            var extension = sizeField.IndexOf((byte)';');
            if (extension >= 0)
            {
                sizeField = sizeField[..extension];
            }

            if (!Utf8Parser.TryParse(sizeField.Trim(" \t"u8), out long size, out var used, 'X') || used == 0 || size < 0)
            {
                return (false, 0, "a chunk size is not hexadecimal");
            }

            offset += sizeEnd + LineEnd.Length;
            if (size == 0)
            {
                // No trailers are expected; skip any up to the empty line that ends the message.
                var trailersEnd = received[offset..].StartsWith(LineEnd) ? 0 : received[offset..].IndexOf(HeaderEnd);
                return trailersEnd < 0 ? (false, 0, null)
                    : (true, offset + trailersEnd + (trailersEnd == 0 ? LineEnd.Length : HeaderEnd.Length), null);
            }

            if (received.Length < offset + size + LineEnd.Length)
            {
                return (false, 0, null);
            }

            offset += (int)size;
            if (!received[offset..].StartsWith(LineEnd))
            {
                return (false, 0, "a chunk is longer than its size");
            }

            offset += LineEnd.Length;
        }
    }
}
