namespace Grains.CodeGeneration;

/// <summary>Static facts about one grain interface method, emitted once per method by the source generator.</summary>
public sealed class GrainMethodDescriptor
{
    public GrainMethodDescriptor(
        Type interfaceType,
        string methodName,
        int methodId,
        GrainMethodOptions options,
        TimeSpan? responseTimeout = null,
        Func<GrainCall>? createCall = null)
    {
        ArgumentNullException.ThrowIfNull(interfaceType);
        ArgumentException.ThrowIfNullOrEmpty(methodName);
        InterfaceType = interfaceType;
        MethodName = methodName;
        MethodId = methodId;
        Options = options;
        ResponseTimeout = responseTimeout;
        CreateCall = createCall;
        DisplayName = $"{interfaceType.Name}.{methodName}";
    }

    public Type InterfaceType { get; }

    public string MethodName { get; }

    /// <summary>Index of the method in its interface's method table (stable for a given contract version).</summary>
    public int MethodId { get; }

    public GrainMethodOptions Options { get; }

    public TimeSpan? ResponseTimeout { get; }

    public string DisplayName { get; }

    /// <summary>Makes an empty call object for this method, to be filled from a message (null for runtime-internal calls).</summary>
    public Func<GrainCall>? CreateCall { get; }

    public bool IsIdempotent => (Options & GrainMethodOptions.Idempotent) != 0;

    public bool IsOneWay => (Options & GrainMethodOptions.OneWay) != 0;

    public bool AlwaysInterleave => (Options & GrainMethodOptions.AlwaysInterleave) != 0;

    public override string ToString() => DisplayName;
}

/// <summary>Per-method call semantics declared by attributes on the grain interface.</summary>
[Flags]
public enum GrainMethodOptions
{
    None = 0,
    OneWay = 1,
    AlwaysInterleave = 2,
    Idempotent = 4,
}
