using Quotas.Core.Tenants;

namespace Quotas.Core.Billing;

/// <summary>
/// What a tenant pays per calendar month (UTC): a fixed <paramref name="MonthlyFee"/>, plus for each priced meter its
/// usage beyond what the plan includes, at its unit price per so many units. Amounts are in
/// <paramref name="Currency"/> (an ISO 4217 code), rounded per line to the currency's decimals (<see cref="CurrencyDecimals"/>).
/// </summary>
public sealed record PricingPlan(string Name, string Currency, decimal MonthlyFee, IReadOnlyList<MeterPrice> Prices)
{
    /// <summary>The meter a statement's CSV gives the monthly fee's row; no priced meter may take it, or an importer could not tell the two apart.</summary>
    public const string MonthlyFeeMeter = "monthly_fee";

    public const int MaxPrices = 64;
    public const int MaxNameLength = 64;

    /// <summary>The most a fee or a unit price may be: far above any real price, low enough that no statement's sum can overflow a decimal.</summary>
    public const decimal MaxPrice = 1_000_000m;

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name) || Name.Length > MaxNameLength || Name.Any(char.IsControl))
        {
            throw Invalid($"name must be 1 to {MaxNameLength} printable characters, e.g. \"standard-2026\".");
        }

        if (Currency is not { Length: 3 } || !Currency.All(char.IsAsciiLetterUpper))
        {
            throw Invalid($"currency '{Currency}' is not an ISO 4217 code: use three capital letters, e.g. \"EUR\" or \"USD\".");
        }

        if (!CurrencyDecimals.IsKnown(Currency))
        {
            throw Invalid($"currency '{Currency}' is not an ISO 4217 currency in use (a typo, a withdrawn code, or a precious metal): use the code of the currency the tenant pays in, e.g. \"EUR\" or \"USD\".");
        }

        var decimals = CurrencyDecimals.Of(Currency);
        if (MonthlyFee is < 0 or > MaxPrice || MonthlyFee != Math.Round(MonthlyFee, decimals))
        {
            throw Invalid($"monthlyFee is {MonthlyFee}: use 0 to {MaxPrice}, with at most {decimals} decimals (the amounts of {Currency} have {decimals}).");
        }

        if (Prices is null || Prices.Count > MaxPrices)
        {
            throw Invalid($"prices must be a list of at most {MaxPrices} meters (empty for a fee alone).");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var price in Prices)
        {
            if (price is null)
            {
                throw Invalid("prices holds an empty entry: give each a meter and a unitPrice.");
            }

            if (!QuotaNames.IsValid(price.Meter))
            {
                throw Invalid($"meter '{TenantId.Truncate(price.Meter)}' is not a budget name: use 1 to {QuotaNames.MaxLength} characters of a-z, 0-9 and '_', starting with a letter (e.g. \"cpu_ms\").");
            }

            if (price.Meter == MonthlyFeeMeter)
            {
                throw Invalid($"meter '{MonthlyFeeMeter}' names the plan's monthly fee in statements (its own CSV row): price the budget under another name.");
            }

            if (!seen.Add(price.Meter))
            {
                throw Invalid($"meter '{price.Meter}' is priced twice: keep one.");
            }

            if (price.UnitPrice is < 0 or > MaxPrice)
            {
                throw Invalid($"unitPrice of '{price.Meter}' is {price.UnitPrice}: use 0 to {MaxPrice}.");
            }

            if (price.Included < 0)
            {
                throw Invalid($"included of '{price.Meter}' is {price.Included}: use 0 or more units.");
            }

            if (price.PerUnits is < 1 or > MeterPrice.MaxPerUnits)
            {
                throw Invalid($"perUnits of '{price.Meter}' is {price.PerUnits}: use 1 to {MeterPrice.MaxPerUnits} (e.g. 1000 to price per thousand).");
            }
        }
    }

    /// <summary>
    /// Whether a stored plan can still price, even if it would no longer pass <see cref="Validate"/> (whose rules may
    /// have grown stricter since it was set): it must not be changed by being read again.
    /// </summary>
    internal bool CanPrice => Name is not null && Prices is not null && Prices.All(p => p is { Meter: not null, PerUnits: >= 1 })
        && Prices.Select(p => p.Meter).Distinct(StringComparer.Ordinal).Count() == Prices.Count;

    private static QuotaValidationException Invalid(string message) =>
        new(ValidationCodes.InvalidPricingPlan, "The pricing plan's " + message);
}

/// <summary>
/// The price of one meter (a budget's name, such as <c>cpu_ms</c> or <c>jobs</c>): <paramref name="UnitPrice"/> per
/// <paramref name="PerUnits"/> units of the usage beyond <paramref name="Included"/> units a month.
/// </summary>
public sealed record MeterPrice(string Meter, decimal UnitPrice, long Included = 0, long PerUnits = 1)
{
    public const long MaxPerUnits = 1_000_000_000_000;
}
