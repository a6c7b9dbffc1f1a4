namespace Grains;

/// <summary>The rules for grain type names: short, printable, and free of '/', which separates type and key in <see cref="GrainId"/>.</summary>
public static class GrainTypeName
{
    public const int MaxLength = 128;

    public static void Validate(string grainType)
    {
        ArgumentNullException.ThrowIfNull(grainType);
        if (grainType.Length == 0 || grainType.Length > MaxLength)
        {
            throw new ArgumentException($"A grain type name must have 1 to {MaxLength} characters; '{grainType}' has {grainType.Length}.", nameof(grainType));
        }

        foreach (var c in grainType)
        {
            if (c == '/' || char.IsControl(c) || char.IsWhiteSpace(c))
            {
                throw new ArgumentException($"The grain type name '{grainType}' contains '{c}'; use letters, digits, '.', '-' or '_'.", nameof(grainType));
            }
        }
    }
}
