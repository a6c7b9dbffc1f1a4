using Microsoft.Extensions.Options;

namespace Grains;

internal sealed class GrainsOptionsValidator : IValidateOptions<GrainsOptions>
{
    private static readonly TimeSpan s_longestTimer = TimeSpan.FromDays(49);

    public ValidateOptionsResult Validate(string? name, GrainsOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ServiceId) || options.ServiceId.Length > 128)
        {
            failures.Add("Grains:ServiceId must have 1 to 128 characters; it keys every stored grain state.");
        }

        RequirePositive(failures, options.ResponseTimeout, nameof(options.ResponseTimeout));
        RequirePositive(failures, options.CollectionAge, nameof(options.CollectionAge));
        RequirePositive(failures, options.CollectionQuantum, nameof(options.CollectionQuantum));
        RequirePositive(failures, options.ActivationTimeout, nameof(options.ActivationTimeout));
        if (options.ActivationTimeout > s_longestTimer)
        {
            failures.Add($"Grains:ActivationTimeout must be at most {s_longestTimer.TotalDays:0} days (the longest a timer waits); it is {options.ActivationTimeout}.");
        }
        RequirePositive(failures, options.DeactivationTimeout, nameof(options.DeactivationTimeout));
        if (options.MaxQueuedCallsPerActivation < 0)
        {
            failures.Add($"Grains:MaxQueuedCallsPerActivation must be 0 (no bound) or more, e.g. 2000; it is {options.MaxQueuedCallsPerActivation}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void RequirePositive(List<string> failures, TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            failures.Add($"Grains:{name} must be a positive duration such as 00:00:30; it is {value}.");
        }
    }
}
