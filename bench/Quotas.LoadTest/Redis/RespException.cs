namespace Quotas.LoadTest.Redis;

/// <summary>Redis answered an error, broke the protocol, or the connection is gone.</summary>
internal sealed class RespException(string message) : Exception(message);
