namespace Quotas.LoadTest.Redis;

internal enum RespKind
{
    SimpleString,
    Error,
    Integer,
    BulkString,
    Null,
}

/// <summary>One RESP2 reply: the kinds the rate-limit commands (INCR, EXPIRE, PING) answer with, plus bulk strings.</summary>
internal readonly record struct RespValue(RespKind Kind, long Integer, string? Text)
{
    public long ExpectInteger() => Kind == RespKind.Integer
        ? Integer
        : throw new RespException($"Expected an integer reply, got {Kind} '{Text}'.");
}
