namespace Grains.Cluster;

/// <summary>A silo's status in the membership table. Only Active silos own grains.</summary>
public enum MembershipStatus
{
    Joining = 1,
    Active = 2,
    ShuttingDown = 3,
    Dead = 4,
}
