namespace Quotas.Gateway;

/// <summary>The gateway's settings, section <c>Quotas:Gateway</c>.</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Quotas:Gateway";

    /// <summary>The longest admin key: with "Bearer " it still fits the longest Authorization header the gateway reads.</summary>
    public const int MaxAdminKeyLength = 248;

    /// <summary>Bearer key of the admin routes. When empty, the embedded single-process host generates one per run and
    /// logs it; a gateway of a cluster must be given one (see <see cref="Validate"/>).</summary>
    public string? AdminKey { get; set; }

    /// <summary>How long an Idempotency-Key and its stored response are kept (published in the API docs).</summary>
    public TimeSpan IdempotencyKeyLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Largest request body accepted; larger bodies get 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 64 * 1024;

    /// <summary>How long a verified tenant key is trusted without asking its grain again. A revocation takes effect at
    /// once on the gateway that revoked and within this time on the others.</summary>
    public TimeSpan ApiKeyCacheDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Most API keys that are not valid one client address (an IPv6 client's /64) may send within a minute;
    /// past it, its keys whose id this gateway has not verified or issued get 429 unchecked until the minute ends.
    /// Every made-up key id costs its grain an activation and a storage read. 0 turns the bound off. Behind a proxy,
    /// list it in <see cref="TrustedProxies"/>, or every client would share its one address.</summary>
    public int MaxRejectedKeysPerMinute { get; set; } = 60;

    /// <summary>Addresses or networks (<c>10.0.0.5</c>, <c>10.0.0.0/8</c>) of the proxies in front of this gateway, whose
    /// <c>X-Forwarded-For</c> names the client; empty (the default) trusts none, and the client is the connection's peer.</summary>
    public string[] TrustedProxies { get; set; } = [];

    /// <summary>Most event streams (<c>GET /v1/tenants/{tenantId}/usage/events</c>, the dashboard's) this gateway holds open
    /// at once; one more gets 503. Each asks its tenant's grain twice per interval.</summary>
    public int MaxEventStreams { get; set; } = 1000;

    /// <summary>Most event streams of one tenant this gateway holds open at once; one more gets 429, so that one
    /// tenant cannot take every stream the gateway holds. Streams opened with the admin key are not counted here.</summary>
    public int MaxEventStreamsPerTenant { get; set; } = 16;

    /// <summary>Checks the settings and says what to change.</summary>
    /// <param name="oneOfManyGateways">This gateway serves a cluster that other gateways may serve too (PostgreSQL
    /// storage, or the Gateway role). Every one of them must accept the same admin key, so a key generated per process,
    /// which would work on one gateway and get 401 from the others, will not do.</param>
    /// <param name="beyondThisMachine">The API listens on an address other machines reach. A key generated per run is
    /// written to the log, where whoever reads the log gets the admin routes, and changes at every restart: it will not
    /// do either.</param>
    public IReadOnlyList<string> Validate(bool oneOfManyGateways = false, bool beyondThisMachine = false)
    {
        var errors = new List<string>();
        if (string.IsNullOrEmpty(AdminKey) && oneOfManyGateways)
        {
            errors.Add("Quotas:Gateway:AdminKey is empty, but this gateway serves a cluster (PostgreSQL storage or the Gateway role), whose gateways must "
                + "all accept the same admin key; a key generated per process would get 401 from the other gateways. Set the same secret of at least "
                + "32 characters on every gateway, e.g. in the environment variable Quotas__Gateway__AdminKey.");
        }
        else if (string.IsNullOrEmpty(AdminKey) && beyondThisMachine)
        {
            errors.Add("Quotas:Gateway:AdminKey is empty, but Quotas:HttpUrl listens beyond this machine; a key generated per run would be written to "
                + "the log and change at every restart. Set a secret of at least 32 characters, e.g. in the environment variable "
                + "Quotas__Gateway__AdminKey (a generated key is for a process that listens on localhost only).");
        }

        if (AdminKey is { Length: > 0 and < 32 })
        {
            errors.Add("Quotas:Gateway:AdminKey must be at least 32 characters (or, in the embedded single-process mode only, empty to generate one per run).");
        }

        // A bearer header longer than any key this service issues is refused unread, and a header's spaces are trimmed:
        // a longer key, or one with spaces or a line break (read from a file, say), would never match.
        if (AdminKey is { Length: > MaxAdminKeyLength } || (AdminKey ?? "").Any(c => c is <= ' ' or >= (char)127))
        {
            errors.Add($"Quotas:Gateway:AdminKey must be at most {MaxAdminKeyLength} visible ASCII characters, with no spaces or line breaks (check for a trailing newline if it is read from a file).");
        }

        if (IdempotencyKeyLifetime < TimeSpan.FromMinutes(1) || IdempotencyKeyLifetime > TimeSpan.FromDays(30))
        {
            errors.Add("Quotas:Gateway:IdempotencyKeyLifetime must be from 00:01:00 to 30.00:00:00.");
        }

        if (MaxRequestBodyBytes is < 1024 or > 16 * 1024 * 1024)
        {
            errors.Add("Quotas:Gateway:MaxRequestBodyBytes must be from 1024 to 16777216.");
        }

        if (ApiKeyCacheDuration < TimeSpan.Zero || ApiKeyCacheDuration > TimeSpan.FromMinutes(5))
        {
            errors.Add("Quotas:Gateway:ApiKeyCacheDuration must be from 00:00:00 to 00:05:00.");
        }

        if (MaxRejectedKeysPerMinute is < 0 or > 1_000_000)
        {
            errors.Add("Quotas:Gateway:MaxRejectedKeysPerMinute must be from 0 (no bound) to 1000000.");
        }

        foreach (var proxy in TrustedProxies)
        {
            if (!ForwardedClients.TryParse(proxy, out _))
            {
                errors.Add($"Quotas:Gateway:TrustedProxies has '{proxy}', which is neither an IP address nor a network such as 10.0.0.0/8 (with the bits past its prefix zero).");
            }
        }

        if (MaxEventStreams is < 0 or > 100_000)
        {
            errors.Add("Quotas:Gateway:MaxEventStreams must be from 0 (no event streams) to 100000.");
        }

        if (MaxEventStreamsPerTenant is < 1 or > 100_000)
        {
            errors.Add("Quotas:Gateway:MaxEventStreamsPerTenant must be from 1 to 100000.");
        }

        return errors;
    }
}
