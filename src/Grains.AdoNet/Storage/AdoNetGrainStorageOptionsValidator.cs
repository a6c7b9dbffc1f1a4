using Grains.AdoNet.Dialects;
using Microsoft.Extensions.Options;

namespace Grains.AdoNet.Storage;

internal sealed class AdoNetGrainStorageOptionsValidator : IValidateOptions<AdoNetGrainStorageOptions>
{
    // A sweep more often than this would only load the database; a timer takes no period over about 49.7 days.
    private static readonly TimeSpan s_minSweepInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_maxSweepInterval = TimeSpan.FromDays(49);

    /// <summary>A century: a longer grace would put the sweep's cutoff before the calendar's first day.</summary>
    private static readonly TimeSpan s_maxGracePeriod = TimeSpan.FromDays(36_500);

    public ValidateOptionsResult Validate(string? name, AdoNetGrainStorageOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return ValidateOptionsResult.Fail($"The grain storage '{name}' has no connection string; set AdoNetGrainStorageOptions.ConnectionString.");
        }

        string? cannotKeepData;
        try
        {
            var dialect = SqlDialect.For(options.Dialect);
            dialect.DescribeTarget(options.ConnectionString);
            cannotKeepData = dialect.CannotKeepData(options.ConnectionString);
        }
        catch (Exception exception) when (exception is ArgumentException or FormatException or KeyNotFoundException)
        {
            return ValidateOptionsResult.Fail($"The connection string of grain storage '{name}' is not a valid {options.Dialect} connection string: {exception.Message}");
        }

        if (cannotKeepData is not null)
        {
            return ValidateOptionsResult.Fail($"The grain storage '{name}' cannot use its connection string: {cannotKeepData}.");
        }

        var sweep = options.ExpiredStateSweepInterval;
        if (sweep != TimeSpan.Zero && sweep != Timeout.InfiniteTimeSpan && (sweep < s_minSweepInterval || sweep > s_maxSweepInterval))
        {
            return ValidateOptionsResult.Fail(
                $"The grain storage '{name}' has ExpiredStateSweepInterval {sweep}; use an interval from {s_minSweepInterval.TotalSeconds:0} second to " +
                $"{s_maxSweepInterval.TotalDays:0} days, or zero to turn the sweep off (default 10 minutes).");
        }

        if (options.ExpiredStateGracePeriod < TimeSpan.Zero || options.ExpiredStateGracePeriod > s_maxGracePeriod)
        {
            return ValidateOptionsResult.Fail(
                $"The grain storage '{name}' has ExpiredStateGracePeriod {options.ExpiredStateGracePeriod}; use zero to " +
                $"{s_maxGracePeriod.TotalDays:0} days (default 1 hour), or turn the sweep off (ExpiredStateSweepInterval 0) to keep expired records.");
        }

        return options.JsonSerializerOptions is null
            ? ValidateOptionsResult.Fail($"The grain storage '{name}' needs JsonSerializerOptions.")
            : ValidateOptionsResult.Success;
    }
}
