using Microsoft.AspNetCore.Http;

namespace Quotas.LoadTest.Servers;

/// <summary>The baselines' answers: a small JSON body written from bytes prepared once.</summary>
internal static class JsonReplies
{
    private static readonly byte[] s_allowed = """{"allowed":true}"""u8.ToArray();
    private static readonly byte[] s_refused = """{"allowed":false}"""u8.ToArray();

    public static Task AllowedAsync(HttpResponse response) => WriteAsync(response, StatusCodes.Status200OK, s_allowed);

    /// <summary>A quota's refusal, with the <c>RateLimit</c> header by which the generator tells it from other 429s, as the gateway's carry it.</summary>
    public static Task RefusedAsync(HttpResponse response)
    {
        response.Headers["RateLimit"] = "\"hits\";r=0";
        return WriteAsync(response, StatusCodes.Status429TooManyRequests, s_refused);
    }

    private static Task WriteAsync(HttpResponse response, int status, byte[] body)
    {
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body).AsTask();
    }
}
