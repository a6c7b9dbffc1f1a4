using Grains.Storage;

namespace Quotas.Grains;

/// <summary>
/// Stored state that reads but that this release refuses to restore (a version or a setting it does not accept) needs an
/// operator, as state that does not read at all: it fails as unreadable state, not as the caller's mistake (the refusal
/// would answer 400 to every call). Anything else a restore throws is a defect, and fails as one.
/// </summary>
internal static class RefusedState
{
    public static GrainStateSerializationException Of(string what, string grainType, string key, Exception refusal) => new(
        $"The stored state of {what} '{key}' reads, but this release refuses to restore it: {refusal.Message} " +
        $"State written by a newer release is read by that release; otherwise repair its rows (grain_type '{grainType}', grain_key '{key}').",
        refusal);
}
