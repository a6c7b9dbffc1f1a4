using Microsoft.AspNetCore.Builder;

namespace Quotas.LoadTest.Servers;

/// <summary>Baseline (a): the cheapest useful answer Kestrel can give, the ceiling of any HTTP quota check here.</summary>
internal static class ConstantServer
{
    public static void Map(WebApplication app) =>
        app.MapPost(ServeCommand.HitsRoute, static context => JsonReplies.AllowedAsync(context.Response));
}
