namespace Grains.CodeGeneration;

/// <summary>
/// Carries the activation being constructed to <see cref="Grain"/>'s parameterless constructor, so that grain classes
/// do not have to pass a context through their own constructors.
/// </summary>
public static class GrainConstructionScope
{
    [ThreadStatic]
    private static IGrainContext? s_current;

    internal static IGrainContext? Current => s_current;

    /// <summary>Used by the runtime around a grain activator call; dispose the result to leave the scope.</summary>
    public static Scope Enter(IGrainContext context)
    {
        var previous = s_current;
        s_current = context;
        return new Scope(previous);
    }

    public readonly struct Scope : IDisposable
    {
        private readonly IGrainContext? _previous;

        internal Scope(IGrainContext? previous) => _previous = previous;

        public void Dispose() => s_current = _previous;
    }
}
