using System.IO.Pipelines;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Quotas.Gateway.Api;

/// <summary>
/// Reads a small optional JSON body for a request type that binds itself (<c>BindAsync</c>), with the rules of the
/// framework's own body binding: no body gives null; a body that is not JSON answers 415; JSON the strict serializer
/// refuses, or anything but whitespace after the JSON value, answers 400 with its reason; a body over the size limit
/// answers 413. The body is parsed from the bytes already read, in one synchronous pass; the framework's binding reads
/// it through an asynchronous pipe parser that, on .NET 10, also reads fields by reflection on every request (an
/// allocation profile of the gateway showed it).
/// </summary>
internal static class JsonBody
{
    public static async ValueTask<T?> ReadOptionalAsync<T>(HttpContext context, string parameter)
        where T : class
    {
        var hasBody = context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? context.Request.ContentLength > 0;
        if (!hasBody)
        {
            return null;
        }

        if (!IsJson(context.Request))
        {
            throw new BadHttpRequestException("The request body is not JSON.", StatusCodes.Status415UnsupportedMediaType);
        }

        var reader = context.Request.BodyReader;
        var read = await ReadToEndAsync(reader, context.RequestAborted);
        try
        {
            if (read.Buffer.IsEmpty)
            {
                return null;
            }

            var json = new Utf8JsonReader(read.Buffer);
            var value = JsonSerializer.Deserialize(ref json, (JsonTypeInfo<T>)ApiJson.Options.GetTypeInfo(typeof(T)));

            // The serializer stops after the first value; the framework's binding refuses anything but whitespace after
            // it, and so must this. Reading on throws for other content (the reader takes one value); false is the end.
            if (json.Read())
            {
                throw new JsonException("The body has more after its JSON value; send one JSON value only.");
            }

            return value;
        }
        catch (JsonException e)
        {
            throw new BadHttpRequestException($"Failed to read parameter \"{parameter}\" from the request body as JSON.", e);
        }
        finally
        {
            reader.AdvanceTo(read.Buffer.End);
        }
    }

    private static async ValueTask<ReadResult> ReadToEndAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            var read = await reader.ReadAsync(cancellationToken);
            if (read.IsCompleted || read.IsCanceled)
            {
                return read;
            }

            // Nothing consumed, everything examined: the next read returns the same bytes and more.
            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
    }

    /// <summary>The exact common value first; anything else is parsed as a media type.</summary>
    private static bool IsJson(HttpRequest request) =>
        string.Equals(request.ContentType, "application/json", StringComparison.OrdinalIgnoreCase) || request.HasJsonContentType();
}
