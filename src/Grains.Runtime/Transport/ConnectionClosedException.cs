namespace Grains.Transport;

/// <summary>The connection to a peer closed (or could not be used) before the operation finished.</summary>
internal sealed class ConnectionClosedException(string remote) : Exception($"The connection to {remote} is closed.");
