using Grains.AdoNet;
using Grains.Cluster.TestGrains;
using Grains.Hosting;

// Usage: Grains.Cluster.TestSilo --cluster <id> --service <id> --postgres "<connection string>"
// Prints "SILO READY <address>" once the silo is Active in the cluster.
var settings = args.Chunk(2).Where(pair => pair.Length == 2).ToDictionary(pair => pair[0], pair => pair[1]);
string Setting(string name) => settings.TryGetValue(name, out var value) ? value : throw new ArgumentException($"Missing {name} <value>.");

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddSingleton<ActivationLedger>();
builder.UseGrains(silo => silo
    .Configure(grains => grains.ServiceId = Setting("--service"))
    .AddApplicationPart(typeof(PlacedGrain).Assembly)
    .AddPostgreSqlGrainStorage("Default", Setting("--postgres"))
    .UsePostgreSqlClustering(Setting("--postgres"))
    .ConfigureMembership(membership =>
    {
        membership.ClusterId = Setting("--cluster");
        membership.ProbeInterval = TimeSpan.FromMilliseconds(200);
        membership.ProbeTimeout = TimeSpan.FromMilliseconds(300);
        membership.RefreshInterval = TimeSpan.FromMilliseconds(250);
        membership.ShutdownAnnouncementDelay = TimeSpan.FromMilliseconds(500);
    })
    .ConfigureEndpoint(endpoint => endpoint.Port = 0));

var app = builder.Build();
app.Lifetime.ApplicationStarted.Register(() =>
    Console.WriteLine($"SILO READY {app.Services.GetRequiredService<Silo>().Cluster!.Address}"));
await app.RunAsync();
