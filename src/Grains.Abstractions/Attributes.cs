namespace Grains;

/// <summary>Lets calls to this grain class interleave at await points. Turns still never run in parallel.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class ReentrantAttribute : Attribute;

/// <summary>Lets this grain interface method interleave with any other call, even on a non-reentrant grain.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class AlwaysInterleaveAttribute : Attribute;

/// <summary>The caller does not wait for this method: the returned task completes at once and errors are only logged. The method must return Task or ValueTask.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class OneWayAttribute : Attribute;

/// <summary>
/// Running this method twice has the same effect as running it once, so the runtime may retry it when a connection
/// is lost while its outcome is unknown. Calls that surely did not run are retried for every method.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class IdempotentAttribute : Attribute;

/// <summary>Overrides the silo's response timeout for one grain interface method.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ResponseTimeoutAttribute(string timeout) : Attribute
{
    /// <summary>A TimeSpan in invariant "c" format, for example "00:00:05".</summary>
    public string Timeout { get; } = timeout;
}

/// <summary>Names the grain type of a grain class (the default is the class name). The name is part of stored keys: keep it stable.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class GrainTypeAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}

/// <summary>Marks a constructor parameter of type <c>IPersistentState&lt;T&gt;</c> or <c>IPersistentEntries&lt;T&gt;</c>: the runtime binds it to a named state in a named storage and reads it before activation completes.</summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class PersistentStateAttribute(string stateName, string storageName = PersistentStateAttribute.DefaultStorageName) : Attribute
{
    public const string DefaultStorageName = "Default";

    public string StateName { get; } = stateName;

    public string StorageName { get; } = storageName;
}
