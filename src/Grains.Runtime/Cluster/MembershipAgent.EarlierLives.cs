using Microsoft.Extensions.Logging;

namespace Grains.Cluster;

/// <summary>The rows an earlier life of this silo left at its address, declared dead as it joins.</summary>
internal sealed partial class MembershipAgent
{
    /// <summary>
    /// Declares dead the rows of this silo's earlier lives at its address (its process restarted before the cluster
    /// noticed it had died: a container restarted in place). This process holds the port now, so they answer nothing,
    /// and until the others voted them dead (missed probes, then votes) the calls placed on them were refused by it.
    /// </summary>
    /// <remarks>
    /// Only a shortcut: the others vote such a row dead in any case, so a failure to write it is logged and the join
    /// goes on. Any other row at this address is an earlier life, whatever its generation (a clock set back gives the
    /// new one a lower generation), since this process holds the port.
    /// </remarks>
    private async Task RetireEarlierLivesAsync(SiloAddress address, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                MembershipEntry? earlier = null;
                var written = await WriteAsync(snapshot =>
                {
                    earlier = snapshot.Entries.FirstOrDefault(e =>
                        e.Silo != address && e.Silo.Port == address.Port && string.Equals(e.Silo.Host, address.Host, StringComparison.OrdinalIgnoreCase)
                        && e.Status != MembershipStatus.Dead);
                    return earlier is null ? null : (earlier with { Status = MembershipStatus.Dead }, false);
                }, cancellationToken);
                if (!written || earlier is null)
                {
                    return;
                }

                LogEarlierLifeRetired(_logger, earlier.Silo, address);
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            LogEarlierLifeNotRetired(_logger, exception, address);
        }
    }

    [LoggerMessage(EventId = 224, Level = LogLevel.Warning, Message = "Declared silo {Earlier} dead: it is an earlier life of {Silo}, which now holds its address (the process restarted before the cluster noticed)")]
    private static partial void LogEarlierLifeRetired(ILogger logger, SiloAddress earlier, SiloAddress silo);

    [LoggerMessage(EventId = 225, Level = LogLevel.Warning, Message = "Silo {Silo} could not declare the earlier lives at its address dead; it joins, and the others vote them dead once they miss their probes")]
    private static partial void LogEarlierLifeNotRetired(ILogger logger, Exception exception, SiloAddress silo);
}
