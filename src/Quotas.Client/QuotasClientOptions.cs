namespace Quotas.Client;

/// <summary>Where the API is, which key to call it with, and how patiently to retry.</summary>
public sealed class QuotasClientOptions
{
    /// <summary>The gateway's base address, e.g. <c>http://localhost:5000</c>; routes under <c>/v1</c> are added to it.</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>The admin key, a tenant's key or a pool's worker key, sent as <c>Authorization: Bearer</c>.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Retries after the first attempt (0 turns retries off). Default 3.</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>The first backoff without a Retry-After; it doubles on each retry, with full jitter. Default 200 ms.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest the SDK waits before one retry. A Retry-After longer than this is not waited for: the
    /// refusal is thrown at once, with its Retry-After, for the caller to decide; Retry-After counts whole seconds, so
    /// under one second no refusal that carries it is retried. Default 30 s.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The clock the retry delays run on; tests pass a manual one.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Every problem with these options, each saying what to change; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (BaseAddress is null)
        {
            errors.Add("QuotasClientOptions.BaseAddress is required: the gateway's address, e.g. http://localhost:5000.");
        }
        else if (!BaseAddress.IsAbsoluteUri || (BaseAddress.Scheme != Uri.UriSchemeHttp && BaseAddress.Scheme != Uri.UriSchemeHttps))
        {
            errors.Add($"QuotasClientOptions.BaseAddress '{BaseAddress}' must be an absolute http or https address.");
        }
        else if (BaseAddress.Query.Length > 0 || BaseAddress.Fragment.Length > 0 || BaseAddress.UserInfo.Length > 0)
        {
            // The routes are added to the address's path: a query or fragment would swallow them, and credentials
            // in it would be sent nowhere useful and logged wherever the address is.
            errors.Add($"QuotasClientOptions.BaseAddress '{BaseAddress}' must be a plain address, such as https://gateway.example/quotas: no query, fragment or user name.");
        }
        else if (BaseAddress.AbsolutePath.TrimEnd('/').EndsWith("/v1", StringComparison.OrdinalIgnoreCase))
        {
            // The SDK adds the version to every route: this address would send each call to .../v1/v1/... (404).
            var path = BaseAddress.AbsolutePath.TrimEnd('/');
            var without = new UriBuilder(BaseAddress) { Path = path[..^"/v1".Length] }.Uri.ToString().TrimEnd('/');
            errors.Add($"QuotasClientOptions.BaseAddress '{BaseAddress}' ends in /v1, which the SDK adds itself; give the gateway's address without it, e.g. {without}.");
        }

        if (string.IsNullOrWhiteSpace(ApiKey))
        {
            errors.Add("QuotasClientOptions.ApiKey is required: the admin key, a tenant's key or a pool's worker key (qk_...).");
        }
        else if (ApiKey.Any(c => c <= ' ' || c > '~'))
        {
            errors.Add("QuotasClientOptions.ApiKey contains spaces or characters outside visible ASCII; paste the key exactly as issued.");
        }

        if (MaxRetries is < 0 or > 10)
        {
            errors.Add($"QuotasClientOptions.MaxRetries is {MaxRetries}: use 0 to 10.");
        }

        if (RetryBaseDelay <= TimeSpan.Zero || RetryBaseDelay > TimeSpan.FromMinutes(1))
        {
            errors.Add($"QuotasClientOptions.RetryBaseDelay is {RetryBaseDelay}: use more than zero and at most one minute.");
        }

        if (MaxRetryDelay < RetryBaseDelay || MaxRetryDelay > TimeSpan.FromMinutes(10))
        {
            errors.Add($"QuotasClientOptions.MaxRetryDelay is {MaxRetryDelay}: use at least RetryBaseDelay and at most ten minutes.");
        }

        if (TimeProvider is null)
        {
            errors.Add("QuotasClientOptions.TimeProvider is null; leave it at TimeProvider.System.");
        }

        return errors;
    }

    internal void ThrowIfInvalid()
    {
        var errors = Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid Quotas client options: " + string.Join(" ", errors));
        }
    }
}
