namespace Quotas.LoadTest.Servers;

/// <summary>The baseline servers <c>serve</c> can run.</summary>
internal enum ServeKind
{
    Constant,
    AspNetLimiter,
    Redis,
}

internal static class ServeKinds
{
    public static string Text(ServeKind kind) => kind switch
    {
        ServeKind.Constant => "constant",
        ServeKind.AspNetLimiter => "aspnet-limiter",
        ServeKind.Redis => "redis",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static ServeKind? Parse(string text) =>
        Enum.GetValues<ServeKind>().Cast<ServeKind?>().FirstOrDefault(kind => Text(kind!.Value) == text);
}
