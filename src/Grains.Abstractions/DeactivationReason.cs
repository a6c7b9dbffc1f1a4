namespace Grains;

/// <summary>Why an activation is being deactivated; passed to <see cref="Grain.OnDeactivateAsync"/>.</summary>
public enum DeactivationReasonCode
{
    None,
    IdleCollection,
    ApplicationRequested,
    InconsistentState,
    ShuttingDown,
    ActivationFailed,
    PlacementChanged,
}

/// <summary>A deactivation cause with a human-readable explanation.</summary>
public readonly record struct DeactivationReason(DeactivationReasonCode Code, string Description)
{
    public override string ToString() => $"{Code}: {Description}";
}
