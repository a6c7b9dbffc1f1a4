namespace Grains.Activation;

/// <summary>The life of an activation: calls are queued until Valid and re-routed once Invalid.</summary>
internal enum ActivationState
{
    Created,
    Activating,
    Valid,
    Deactivating,
    Invalid,
}
