namespace Quotas.LoadTest.Load.Http;

/// <summary>
/// What <see cref="ResponseParser"/> made of the bytes so far: more needed, one whole response, or garbage.
/// <see cref="RateLimited"/>: the response carries a <c>RateLimit</c> header, which marks a quota's answer.
/// </summary>
internal readonly record struct ParsedResponse(ParseOutcome Outcome, int StatusCode, int Length, bool KeepAlive, string? Error, bool RateLimited = false)
{
    public static ParsedResponse Incomplete => new(ParseOutcome.Incomplete, 0, 0, false, null);

    public static ParsedResponse Complete(int statusCode, int length, bool keepAlive, bool rateLimited) =>
        new(ParseOutcome.Complete, statusCode, length, keepAlive, null, rateLimited);

    public static ParsedResponse Invalid(string error) => new(ParseOutcome.Invalid, 0, 0, false, error);
}

internal enum ParseOutcome
{
    Incomplete,
    Complete,
    Invalid,
}
