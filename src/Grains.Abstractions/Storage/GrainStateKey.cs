namespace Grains.Storage;

/// <summary>Which state of which grain: together with the storage's service id this is the row key (service, grain type, grain key, state name).</summary>
public readonly record struct GrainStateKey(GrainId GrainId, string StateName)
{
    public override string ToString() => $"state '{StateName}' of grain {GrainId}";
}
