namespace Quotas.Core.Scheduling;

/// <summary>Rules for resource names: <c>[a-z][a-z0-9_]{0,62}</c>, e.g. <c>cpu_millicores</c>.</summary>
public static class ResourceName
{
    public const string CpuMillicores = "cpu_millicores";
    public const string MemoryMb = "memory_mb";
    public const string Workers = "workers";

    public static bool IsValid(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 63 || name[0] is < 'a' or > 'z')
        {
            return false;
        }

        foreach (var c in name)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '_'))
            {
                return false;
            }
        }

        return true;
    }

    internal static void Validate(string? name)
    {
        if (!IsValid(name))
        {
            throw new SchedulingException(
                SchedulingErrorCodes.InvalidResourceName,
                $"Resource name '{name}' is invalid; use 1 to 63 characters matching [a-z][a-z0-9_]*, e.g. 'cpu_millicores'.");
        }
    }
}
