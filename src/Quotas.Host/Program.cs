using Microsoft.Extensions.Options;
using Quotas.Gateway;
using Quotas.Gateway.Metrics;
using Quotas.Host;

// Roles and storage come from configuration (appsettings.json, QUOTAS__... environment variables, --Quotas:... args).
// The defaults are the embedded mode: silo and gateway in one process on a SQLite file, on http://localhost:5000.
// appsettings.json is read next to the executable, whatever the working directory (SQLite paths stay relative to it).
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
HostSettings settings;
GatewayOptions gateway;
try
{
    settings = builder.Configuration.GetSection(HostSettings.SectionName).Get<HostSettings>() ?? new HostSettings();
    gateway = builder.Configuration.GetSection(GatewayOptions.SectionName).Get<GatewayOptions>() ?? new GatewayOptions();

    // A list given as one value (Quotas__Gateway__TrustedProxies=10.0.0.0/8,10.1.0.5) is split on commas: the binder
    // fills a list only from numbered keys (Quotas__Gateway__TrustedProxies__0), and would leave it empty unsaid.
    if (builder.Configuration[GatewayOptions.SectionName + ":" + nameof(GatewayOptions.TrustedProxies)] is { Length: > 0 } proxies)
    {
        gateway.TrustedProxies = [.. gateway.TrustedProxies, .. proxies.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
    }
}
catch (InvalidOperationException e)
{
    return ConfigurationError(e);
}

var errors = settings.Validate()
    .Concat(gateway.Validate(oneOfManyGateways: settings.ServesApiInCluster, beyondThisMachine: settings.ServesApiBeyondThisMachine))
    .Concat(ConfigurationChecks.Errors(builder.Configuration, settings))
    .ToList();
if (errors.Count > 0)
{
    foreach (var error in errors)
    {
        Console.Error.WriteLine($"Configuration error: {error}");
    }

    return 2;
}

// The embedded mode's SQLite file takes one process at a time: the lock is held until this process ends.
string? lockRefusal = null;
IDisposable? heldLock;
try
{
    heldLock = settings.Clustered ? null : SqliteFileLock.TryAcquire(settings.SqliteConnectionString!, out lockRefusal);
}
catch (ArgumentException e)
{
    // A connection string the driver cannot read ("Data Sourc=..."): said as any other configuration error.
    return ConfigurationError(e);
}

using var databaseLock = heldLock;
if (lockRefusal is not null)
{
    Console.Error.WriteLine($"Configuration error: {lockRefusal}");
    return 2;
}

WebApplication app;
try
{
    // Building the gateway's routes reads the runtime's options (Grains:...) and opens the membership table's data
    // source: a value of the wrong form there, or a malformed connection string, is a configuration error too.
    builder.AddQuotasHost(settings, gateway);
    app = builder.Build();
    app.MapHealthEndpoints();
    app.MapQuotasMetrics(settings.MetricsKey);
    if (settings.Role != HostRole.Silo)
    {
        app.MapQuotasGateway();
    }
}
catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or OptionsValidationException)
{
    // OptionsValidationException: a value of the right form that a validator refuses (a zero response timeout, say).
    return ConfigurationError(e);
}

if (settings.SeedsDemoTenants)
{
    app.Lifetime.ApplicationStarted.Register(() => _ = DemoSeeding.RunAsync(app));
}

app.Lifetime.ApplicationStarted.Register(() => app.Logger.LogInformation(
    "Quotas {Role} ready on {Url} with {Storage} storage", settings.Role, settings.HttpUrl, settings.Storage));
try
{
    await app.StartAsync();
}
catch (OperationCanceledException) when (app.Lifetime.ApplicationStopping.IsCancellationRequested)
{
    // Told to stop (SIGTERM, Ctrl+C) while starting: it stops, as asked.
    Console.Error.WriteLine($"Quotas {settings.Role} was stopped while it started.");
    await app.DisposeAsync();
    return 0;
}
catch (Exception e) when (e is OptionsValidationException || (e is InvalidOperationException && e.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal)))
{
    // Options read only when the start needs them (a silo's runtime settings, which no gateway route reads while the
    // app is built): a value of the wrong form or one a validator refuses is a configuration error there too.
    await app.DisposeAsync();
    return ConfigurationError(e);
}
catch (Exception e) when (e is not OperationCanceledException)
{
    // Storage or the cluster unreachable at start: one line that says what, instead of a crash.
    Console.Error.WriteLine($"Quotas {settings.Role} could not start: {e.Message}");
    await app.DisposeAsync();
    return 1;
}

await app.WaitForShutdownAsync();
await app.DisposeAsync();
return 0;

// A value of the wrong form ("Postgres" for an enum, "10s" for a time span) or one the options refuse: the message names
// the key; exit code 2, as for every setting that cannot work.
static int ConfigurationError(Exception e)
{
    var hint = e.Message.Contains(nameof(TimeSpan), StringComparison.Ordinal) ? " Time spans are written hh:mm:ss, e.g. 00:00:05." : "";
    Console.Error.WriteLine($"Configuration error: {e.Message}{(e.InnerException is { } inner ? " " + inner.Message : "")}{hint}");
    return 2;
}
