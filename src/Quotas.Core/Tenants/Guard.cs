namespace Quotas.Core.Tenants;

/// <summary>Input checks shared by the books; each throws <see cref="QuotaValidationException"/> before any state changes.</summary>
internal static class Guard
{
    public const int MaxKeyLength = 200;

    public static void Amount(long amount, string quota)
    {
        if (amount < 1 || amount > QuotaLimit.MaxValue)
        {
            throw new QuotaValidationException(
                ValidationCodes.InvalidAmount,
                $"Amount {amount} for quota '{quota}' is invalid: use a whole number from 1 to {QuotaLimit.MaxValue}.");
        }
    }

    public static long Add(long current, long amount, string quota)
    {
        var sum = unchecked(current + amount);
        if (sum < current)
        {
            throw new QuotaValidationException(
                ValidationCodes.AmountOverflow,
                $"Adding {amount} to quota '{quota}' (now {current}) would overflow: use a smaller amount.");
        }

        return sum;
    }

    public static void Ttl(TimeSpan ttl)
    {
        if (ttl <= TimeSpan.Zero || ttl > LeaseBook.MaxTtl)
        {
            throw new QuotaValidationException(
                ValidationCodes.InvalidTtl,
                $"Lease TTL {ttl} is invalid: use more than zero and at most {LeaseBook.MaxTtl}; renew long-held leases instead.");
        }
    }

    /// <summary>Client keys (idempotency keys, event ids, lease ids): 1 to 200 printable ASCII characters without spaces.</summary>
    public static void Key(string? key, string code, string what)
    {
        if (string.IsNullOrEmpty(key) || key.Length > MaxKeyLength || !IsPrintable(key))
        {
            throw new QuotaValidationException(
                code,
                $"The {what} '{TenantId.Truncate(key)}' is invalid: use 1 to {MaxKeyLength} printable ASCII characters without spaces.");
        }
    }

    private static bool IsPrintable(string key)
    {
        foreach (var c in key)
        {
            if (c is < '!' or > '~')
            {
                return false;
            }
        }

        return true;
    }
}
