using Grains.AdoNet.Dialects;
using Microsoft.Extensions.Options;

namespace Grains.AdoNet.Storage;

internal sealed class AdoNetGrainStorageOptionsValidator : IValidateOptions<AdoNetGrainStorageOptions>
{
    public ValidateOptionsResult Validate(string? name, AdoNetGrainStorageOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return ValidateOptionsResult.Fail($"The grain storage '{name}' has no connection string; set AdoNetGrainStorageOptions.ConnectionString.");
        }

        try
        {
            SqlDialect.For(options.Dialect).DescribeTarget(options.ConnectionString);
        }
        catch (Exception exception) when (exception is ArgumentException or FormatException or KeyNotFoundException)
        {
            return ValidateOptionsResult.Fail($"The connection string of grain storage '{name}' is not a valid {options.Dialect} connection string: {exception.Message}");
        }

        if (options.ExpiredStateSweepInterval < TimeSpan.Zero && options.ExpiredStateSweepInterval != Timeout.InfiniteTimeSpan)
        {
            return ValidateOptionsResult.Fail(
                $"The grain storage '{name}' has ExpiredStateSweepInterval {options.ExpiredStateSweepInterval}; use a positive interval, or zero to turn the sweep off.");
        }

        if (options.ExpiredStateGracePeriod < TimeSpan.Zero)
        {
            return ValidateOptionsResult.Fail(
                $"The grain storage '{name}' has ExpiredStateGracePeriod {options.ExpiredStateGracePeriod}; use zero or more (default 1 hour).");
        }

        return options.JsonSerializerOptions is null
            ? ValidateOptionsResult.Fail($"The grain storage '{name}' needs JsonSerializerOptions.")
            : ValidateOptionsResult.Success;
    }
}
