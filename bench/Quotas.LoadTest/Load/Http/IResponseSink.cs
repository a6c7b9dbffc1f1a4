namespace Quotas.LoadTest.Load.Http;

/// <summary>Where a <see cref="LoopbackClient"/> reports each request's end; called on whichever thread saw it.</summary>
internal interface IResponseSink
{
    /// <param name="token">The caller's number for the request.</param>
    /// <param name="statusCode">The response's status.</param>
    /// <param name="rateLimited">Whether it carries a <c>RateLimit</c> header: a quota's answer, not another refusal.</param>
    /// <param name="sent">Stopwatch timestamp at which the request was written to its connection.</param>
    /// <param name="completed">Stopwatch timestamp at which the last byte of the response had arrived.</param>
    void Completed(long token, int statusCode, bool rateLimited, long sent, long completed);

    /// <summary>The request got no response: the connection failed, closed, or answered something unreadable.</summary>
    void Failed(long token, string error);
}
