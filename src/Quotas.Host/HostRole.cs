namespace Quotas.Host;

/// <summary>What a process of the service does.</summary>
public enum HostRole
{
    /// <summary>Hosts grains (tenants, schedulers) and serves the health endpoints.</summary>
    Silo,

    /// <summary>Serves the REST API as a cluster client of the silos.</summary>
    Gateway,

    /// <summary>Both in one process: the embedded default, or a silo that also takes API traffic.</summary>
    Both,
}
