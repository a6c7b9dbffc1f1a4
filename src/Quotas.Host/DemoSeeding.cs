using Grains;
using Quotas.Gateway;

namespace Quotas.Host;

/// <summary>Seeds the demo tenants and pool once the host has started; a failure is logged and leaves the service running.</summary>
internal static partial class DemoSeeding
{
    public static async Task RunAsync(WebApplication app)
    {
        try
        {
            await DemoTenants.SeedAsync(app.Services.GetRequiredService<IGrainFactory>());
            LogSeeded(app.Logger, string.Join(", ", DemoTenants.All.Select(t => t.Id)), DemoTenants.Pool.Id);
        }
        catch (Exception e)
        {
            LogFailed(app.Logger, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo tenants ready: {Tenants}; demo pool: {Pool}")]
    private static partial void LogSeeded(ILogger logger, string tenants, string pool);

    [LoggerMessage(Level = LogLevel.Error, Message = "Seeding the demo tenants and pool failed; the service runs without them")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
