using Grains.Transport;
using Microsoft.Extensions.Logging;

namespace Grains.Cluster;

/// <summary>The check, before joining, that the address the silo advertises reaches it.</summary>
internal sealed partial class MembershipAgent
{
    /// <summary>
    /// Connects to the address the silo is about to advertise, before it writes a row: other silos and clients connect
    /// there. When something else answers there (another silo, or not a silo at all: a wrong AdvertisedHost or port),
    /// the silo would join, take a share of the grains that no one can reach, and be voted dead seconds later, at every
    /// restart again: the start fails instead, saying what to change. When nothing answers (refused, or no answer in
    /// time), the address may still be right for the others (a host name this machine resolves to a loopback address,
    /// a load balancer that does not take a host's connections back to itself): that is logged, and the silo joins.
    /// </summary>
    private async Task CheckAdvertisedAddressAsync(SiloAddress address, CancellationToken cancellationToken)
    {
        SiloUnavailableException? failure = null;
        for (var attempt = 1; attempt <= AdvertisedAddressAttempts; attempt++)
        {
            try
            {
                await _connections.CheckReachesAsync(address).WaitAsync(cancellationToken);
                return;
            }
            catch (SiloUnavailableException exception) when (exception.InnerException is WrongPeerException or InvalidDataException)
            {
                throw new InvalidOperationException(
                    $"Silo {address} reaches another process at the address it would advertise, {address.Host}:{address.Port} " +
                    $"({exception.InnerException.Message}). Other silos and clients connect to that address: set " +
                    $"Grains:Endpoint:AdvertisedHost (and the port) to a name or address of this host that reaches this silo.",
                    exception);
            }
            catch (SiloUnavailableException exception)
            {
                failure = exception;
            }

            if (attempt < AdvertisedAddressAttempts)
            {
                // Real time, whatever clock the silo runs on: a test's manual clock would never end the pause.
                await Task.Delay(TimeSpan.FromMilliseconds(250 * attempt), TimeProvider.System, cancellationToken);
            }
        }

        LogAdvertisedAddressUnreachable(_logger, failure, address, address.Host, address.Port);
    }

    private const int AdvertisedAddressAttempts = 3;

    [LoggerMessage(EventId = 223, Level = LogLevel.Warning, Message = "Silo {Silo} could not connect to the address it advertises, {Host}:{Port}; other silos and clients connect there, so unless that address works for them but not from this host (a load balancer, a host name this host resolves to a loopback address), set Grains:Endpoint:AdvertisedHost to one that reaches this silo")]
    private static partial void LogAdvertisedAddressUnreachable(ILogger logger, Exception? exception, SiloAddress silo, string host, int port);
}
