using Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Grains.AdoNet.Storage;

/// <summary>
/// Refuses to start a silo whose grain storages share a table but not their sweep settings. A record does not say which
/// storage wrote it, so each storage's sweep deletes the service's expired records of every storage on the table: the
/// shortest grace period, and any sweep turned on, would apply to all of them, deleting records under activations that
/// a longer grace was meant to keep. Also refuses a sweep whose grace is shorter than an idle activation may live
/// (<see cref="CheckGraceOutlivesIdleActivations"/>), which would delete records under activations that may still write them.
/// </summary>
internal sealed class SharedTableSweeps(IServiceProvider services, AdoNetStorageNames names) : ISiloStartupTask
{
    public Task ExecuteAsync(CancellationToken cancellationToken)
    {
        var storages = names.All.Select(name => services.GetRequiredKeyedService<AdoNetGrainStorage>(name)).ToList();
        CheckGraceOutlivesIdleActivations(storages, services.GetRequiredService<IOptions<GrainsOptions>>().Value);
        Check(storages);
        return Task.CompletedTask;
    }

    /// <summary>
    /// An idle activation is collected at the first look (every <see cref="GrainsOptions.CollectionQuantum"/>) after
    /// <see cref="GrainsOptions.CollectionAge"/>, and its hook and the writes it left may take
    /// <see cref="GrainsOptions.DeactivationTimeout"/> each: a record is not swept before all of that has passed.
    /// </summary>
    public static void CheckGraceOutlivesIdleActivations(IEnumerable<AdoNetGrainStorage> storages, GrainsOptions grains)
    {
        var longest = grains.CollectionAge + grains.CollectionQuantum + (2 * grains.DeactivationTimeout);
        if (storages.FirstOrDefault(s => Sweeps(s.Options) && s.Options.ExpiredStateGracePeriod < longest) is { } early)
        {
            throw new InvalidOperationException(
                $"Grain storage '{early.Name}' deletes expired records {early.Options.ExpiredStateGracePeriod} after they expire (ExpiredStateGracePeriod), " +
                $"sooner than an idle activation may still hold them ({longest}: Grains:CollectionAge {grains.CollectionAge}, plus Grains:CollectionQuantum, plus " +
                $"twice Grains:DeactivationTimeout for its hook and its last writes): its sweep could delete a record under an activation that may still write " +
                $"it. Set ExpiredStateGracePeriod to {longest} or more, lower those settings, or turn the sweep off.");
        }
    }

    public static void Check(IEnumerable<AdoNetGrainStorage> storages)
    {
        foreach (var table in storages.GroupBy(s => (s.Target, s.ServiceId)))
        {
            var first = table.First();
            if (table.FirstOrDefault(s => !SameSweep(s.Options, first.Options)) is { } other)
            {
                throw new InvalidOperationException(
                    $"Grain storages '{first.Name}' and '{other.Name}' share {first.Target} (service '{first.ServiceId}') but not their sweep of expired " +
                    $"records ({Describe(first.Options)}, against {Describe(other.Options)}). A record does not say which storage wrote it, so each sweep " +
                    "deletes every storage's: give them the same ExpiredStateGracePeriod and the sweep on or off for both, or separate databases.");
            }
        }
    }

    private static bool SameSweep(AdoNetGrainStorageOptions a, AdoNetGrainStorageOptions b) =>
        a.ExpiredStateGracePeriod == b.ExpiredStateGracePeriod && Sweeps(a) == Sweeps(b);

    private static bool Sweeps(AdoNetGrainStorageOptions options) =>
        options.ExpiredStateSweepInterval != TimeSpan.Zero && options.ExpiredStateSweepInterval != Timeout.InfiniteTimeSpan;

    private static string Describe(AdoNetGrainStorageOptions options) =>
        $"grace {options.ExpiredStateGracePeriod}, sweep {(Sweeps(options) ? "on" : "off")}";
}

/// <summary>The names of the silo's ADO.NET grain storages, in the order they were added.</summary>
internal sealed class AdoNetStorageNames
{
    public List<string> All { get; } = [];
}
