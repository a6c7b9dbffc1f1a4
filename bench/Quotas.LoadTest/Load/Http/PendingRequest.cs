namespace Quotas.LoadTest.Load.Http;

/// <summary>A request waiting for a connection: its bytes, and whom to tell about its end under which number.</summary>
internal readonly record struct PendingRequest(byte[] Bytes, IResponseSink Sink, long Token);
