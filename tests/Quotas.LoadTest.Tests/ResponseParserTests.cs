using System.Text;
using Quotas.LoadTest.Load.Http;

namespace Quotas.LoadTest.Tests;

public sealed class ResponseParserTests
{
    private const string Json200 = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\nContent-Type: application/json\r\n\r\n{\"ok\":true}\n";

    [Fact]
    public void A_response_framed_by_content_length_ends_after_its_body()
    {
        var response = Parse(Json200);

        Assert.Equal(ParseOutcome.Complete, response.Outcome);
        Assert.Equal(200, response.StatusCode);
        Assert.Equal(Encoding.ASCII.GetByteCount(Json200), response.Length);
        Assert.True(response.KeepAlive);
    }

    [Theory]
    [InlineData("HTTP/1.1 429 Too Many Requests\r\nRateLimit: \"hits\";r=0\r\nContent-Length: 0\r\n\r\n", true)]
    [InlineData("HTTP/1.1 429 Too Many Requests\r\nratelimit: \"hits\";r=0;t=1\r\nContent-Length: 0\r\n\r\n", true)]
    [InlineData("HTTP/1.1 429 Too Many Requests\r\nRateLimit-Policy: \"hits\";q=10\r\nContent-Length: 0\r\n\r\n", false)]
    [InlineData("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n", false)]
    public void A_response_says_whether_it_carries_a_RateLimit_header(string raw, bool rateLimited)
    {
        var response = Parse(raw);

        Assert.Equal(ParseOutcome.Complete, response.Outcome);
        Assert.Equal(rateLimited, response.RateLimited);
    }

    [Fact]
    public void Every_prefix_of_a_response_is_incomplete()
    {
        for (var length = 0; length < Json200.Length; length++)
        {
            Assert.Equal(ParseOutcome.Incomplete, Parse(Json200[..length]).Outcome);
        }
    }

    [Fact]
    public void A_chunked_response_ends_after_its_last_chunk_and_only_then()
    {
        const string Chunked = "HTTP/1.1 429 Too Many Requests\r\ntransfer-encoding: Chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\nA\r\n0123456789\r\n0\r\n\r\n";

        var response = Parse(Chunked);

        Assert.Equal(ParseOutcome.Complete, response.Outcome);
        Assert.Equal(429, response.StatusCode);
        Assert.Equal(Chunked.Length, response.Length);
        for (var length = 0; length < Chunked.Length; length++)
        {
            Assert.Equal(ParseOutcome.Incomplete, Parse(Chunked[..length]).Outcome);
        }
    }

    [Fact]
    public void Trailers_after_the_last_chunk_belong_to_the_response()
    {
        const string WithTrailer = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\nX-Checksum: 1\r\n\r\n";

        Assert.Equal(WithTrailer.Length, Parse(WithTrailer).Length);
        Assert.Equal(ParseOutcome.Incomplete, Parse(WithTrailer[..^2]).Outcome);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", false)]
    [InlineData("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false)]
    [InlineData("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", true)]
    [InlineData("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", true)]
    public void Whether_the_connection_stays_open_follows_the_version_and_the_connection_header(string text, bool keepAlive)
    {
        var response = Parse(text);

        Assert.Equal(ParseOutcome.Complete, response.Outcome);
        Assert.Equal(keepAlive, response.KeepAlive);
    }

    [Theory]
    [InlineData("HTTP/1.1 204 No Content\r\n\r\n", 204)]
    [InlineData("HTTP/1.1 304 Not Modified\r\n\r\n", 304)]
    public void Statuses_without_a_body_end_with_their_headers(string text, int status)
    {
        var response = Parse(text);

        Assert.Equal(ParseOutcome.Complete, response.Outcome);
        Assert.Equal(status, response.StatusCode);
        Assert.Equal(text.Length, response.Length);
    }

    [Theory]
    [InlineData("HTTP/2 200 OK\r\n\r\n", "status line")]
    [InlineData("HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n", "status line")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: many\r\n\r\n", "Content-Length")]
    [InlineData("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "no name")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nbody until close", "neither Content-Length nor chunked")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "other than chunked")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "hexadecimal")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n", "longer than its size")]
    public void Responses_it_cannot_frame_are_invalid_and_say_why(string text, string reason)
    {
        var response = Parse(text);

        Assert.Equal(ParseOutcome.Invalid, response.Outcome);
        Assert.Contains(reason, response.Error, StringComparison.Ordinal);
    }

    private static ParsedResponse Parse(string text) => ResponseParser.Parse(Encoding.ASCII.GetBytes(text));
}
