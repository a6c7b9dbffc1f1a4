namespace Grains;

/// <summary>The identity of a grain: its grain type and its key. Two references with the same id address the same grain.</summary>
public readonly record struct GrainId
{
    private GrainId(string type, string key)
    {
        Type = type;
        Key = key;
    }

    /// <summary>The grain type name (from the grain class, or its <see cref="GrainTypeAttribute"/>).</summary>
    public string Type { get; }

    /// <summary>The key in its canonical string form (Guid keys as 32 hex digits, integer keys in invariant decimal).</summary>
    public string Key { get; }

    /// <summary>Creates an id after validating both parts; throws <see cref="ArgumentException"/> that says what to change.</summary>
    public static GrainId Create(string grainType, string key)
    {
        GrainTypeName.Validate(grainType);
        GrainKey.Validate(key);
        return new GrainId(grainType, key);
    }

    public override string ToString() => $"{Type}/{Key}";
}
