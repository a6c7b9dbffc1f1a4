namespace Grains.Transport;

/// <summary>Handles requests arriving on an inbound connection.</summary>
internal interface IRequestHandler
{
    void OnRequest(GrainConnection connection, in MessageHeader header, ReadOnlySpan<byte> payload);
}
