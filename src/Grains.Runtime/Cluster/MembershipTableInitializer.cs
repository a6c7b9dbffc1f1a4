using Grains.Hosting;

namespace Grains.Cluster;

/// <summary>Creates and checks the membership table before the silo joins, so a database that is down stops the start clearly.</summary>
internal sealed class MembershipTableInitializer(IMembershipTable table) : ISiloStartupTask
{
    public Task ExecuteAsync(CancellationToken cancellationToken) => table.InitializeAsync(cancellationToken);
}
