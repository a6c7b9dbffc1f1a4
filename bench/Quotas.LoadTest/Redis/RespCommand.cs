namespace Quotas.LoadTest.Redis;

/// <summary>A command waiting to be written, and the reply its caller awaits.</summary>
internal sealed class RespCommand
{
    private RespCommand(string name, string? key, long? argument)
    {
        Name = name;
        Key = key;
        Argument = argument;
    }

    public string Name { get; }

    public string? Key { get; }

    public long? Argument { get; }

    /// <summary>Completed on the thread pool, so that the connection's reader never runs its callers' code.</summary>
    public TaskCompletionSource<RespValue> Reply { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Parts => 1 + (Key is null ? 0 : 1) + (Argument is null ? 0 : 1);

    public static RespCommand Ping() => new("PING", null, null);

    public static RespCommand Incr(string key) => new("INCR", key, null);

    public static RespCommand Expire(string key, long seconds) => new("EXPIRE", key, seconds);
}
