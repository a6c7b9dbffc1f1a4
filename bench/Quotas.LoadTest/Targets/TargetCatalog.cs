using Quotas.LoadTest.Options;
using Quotas.LoadTest.Servers;

namespace Quotas.LoadTest.Targets;

/// <summary>The targets a run can measure, by the names <c>--targets</c> takes.</summary>
internal static class TargetCatalog
{
    public const string Gateway = "gateway";
    public const string Constant = "constant";
    public const string AspNet = "aspnet";
    public const string Redis = "redis";
    public const string Cluster = "cluster";

    /// <summary>Every target <c>--targets</c> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = [Gateway, Constant, AspNet, Redis, Cluster];

    /// <summary>The targets of a run without <c>--targets</c>: those the issue's checks compare.</summary>
    public static IReadOnlyList<string> Defaults { get; } = [Gateway, Constant, AspNet, Redis];

    public static ILoadTarget Create(string name, LoadTestOptions options, RepositoryPaths paths) => name switch
    {
        Gateway => new GatewayTarget(options, paths),
        Constant => new BaselineTarget(name, "(a) Kestrel minimal endpoint answering constant JSON", ServeKind.Constant, options),
        AspNet => new BaselineTarget(name, "(b) ASP.NET Core rate limiter in process: sliding window per tenant, 10 segments", ServeKind.AspNetLimiter, options),
        Redis => new BaselineTarget(name, "(c) fixed window on Redis (INCR, EXPIRE on the first hit) behind a minimal endpoint", ServeKind.Redis, options),
        Cluster => new ClusterTarget(options, paths),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, $"Targets are {string.Join(", ", Names)}."),
    };
}
