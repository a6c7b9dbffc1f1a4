using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Quotas.Gateway.Dashboard;

/// <summary>
/// Serves the dashboard: one page, its script modules and its style sheet, embedded in this assembly (no build step, no files
/// to deploy). They hold no data and need no key; the page asks for one and calls the API with it. <c>/</c> leads to it.
/// </summary>
internal static class DashboardEndpoints
{
    public const string Path = "/dashboard";

    // The page runs only its own script and style and talks only to this origin (its icon is inline); nothing may frame it.
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

    private static readonly Asset s_page = Asset.Load("index.html", "text/html; charset=utf-8");

    /// <summary>The page's script (modules) and style sheet, each served under <c>/dashboard/{name}</c>.</summary>
    private static readonly Asset[] s_files =
    [
        Asset.Load("dashboard.js", "text/javascript; charset=utf-8"),
        Asset.Load("api.js", "text/javascript; charset=utf-8"),
        Asset.Load("sse.js", "text/javascript; charset=utf-8"),
        Asset.Load("view.js", "text/javascript; charset=utf-8"),
        Asset.Load("dashboard.css", "text/css; charset=utf-8"),
    ];

    public static void MapDashboard(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => Results.Redirect(Path)).ExcludeFromDescription();
        app.MapGet(Path, (HttpContext context) => Serve(context, s_page)).ExcludeFromDescription();
        foreach (var file in s_files)
        {
            app.MapGet(Path + "/" + file.Name, (HttpContext context) => Serve(context, file)).ExcludeFromDescription();
        }
    }

    private static IResult Serve(HttpContext context, Asset asset)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        // Revalidated on every load, so that a new release's page and script are never mixed with an old one's.
        headers.CacheControl = "no-cache";
        return Results.Bytes(asset.Content, asset.ContentType);
    }

    private sealed record Asset(string Name, byte[] Content, string ContentType)
    {
        public static Asset Load(string name, string contentType)
        {
            var resource = typeof(DashboardEndpoints).Namespace + "." + name;
            using var stream = typeof(DashboardEndpoints).Assembly.GetManifestResourceStream(resource)
                ?? throw new InvalidOperationException($"The dashboard's {name} is not embedded in the gateway (resource {resource}).");
            using var content = new MemoryStream();
            stream.CopyTo(content);
            return new Asset(name, content.ToArray(), contentType);
        }
    }
}
