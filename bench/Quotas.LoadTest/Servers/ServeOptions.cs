using System.Globalization;

namespace Quotas.LoadTest.Servers;

/// <summary>The command line of <c>serve &lt;kind&gt; --port N [--limit L] [--window-seconds W] [--redis-port P] [--parent-pid P]</c>.</summary>
internal sealed record ServeOptions(ServeKind Kind, int Port, long Limit, int WindowSeconds, int? RedisPort, int? ParentPid)
{
    public const string Usage = "Usage: Quotas.LoadTest serve constant|aspnet-limiter|redis --port N [--limit L] [--window-seconds W] [--redis-port P] [--parent-pid P]";

    public static ServeOptions? Parse(IReadOnlyList<string> args, List<string> errors)
    {
        if (args.Count == 0 || ServeKinds.Parse(args[0]) is not { } kind)
        {
            errors.Add($"serve needs a kind first: constant, aspnet-limiter or redis. {Usage}");
            return null;
        }

        var values = new Dictionary<string, long>();
        for (var i = 1; i < args.Count; i += 2)
        {
            if (args[i] is not ("--port" or "--limit" or "--window-seconds" or "--redis-port" or "--parent-pid"))
            {
                errors.Add($"Unknown serve option '{args[i]}'. {Usage}");
            }
            else if (i + 1 >= args.Count || !long.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < 1)
            {
                errors.Add($"{args[i]} needs a positive whole number.");
            }
            else
            {
                values[args[i]] = value;
            }
        }

        if (!values.TryGetValue("--port", out var port) || port > 65_535)
        {
            errors.Add($"serve needs --port from 1 to 65535. {Usage}");
        }

        if (kind == ServeKind.Redis && !values.ContainsKey("--redis-port"))
        {
            errors.Add("serve redis needs --redis-port, the port of a running redis-server.");
        }

        return errors.Count > 0 ? null : new ServeOptions(
            kind,
            (int)port,
            values.GetValueOrDefault("--limit", 1_000),
            (int)values.GetValueOrDefault("--window-seconds", 1),
            values.TryGetValue("--redis-port", out var redisPort) ? (int)redisPort : null,
            values.TryGetValue("--parent-pid", out var parent) ? (int)parent : null);
    }
}
