namespace Quotas.Core.Billing;

/// <summary>
/// How many decimals a currency's amounts have (ISO 4217's minor unit): two, except the currencies listed here, so
/// that a statement in yen has whole yen and one in dinars has fils. Browsers' own tables (CLDR) differ for some
/// currencies, so a statement says how many it used (<see cref="BillingStatement.Decimals"/>).
/// </summary>
public static class CurrencyDecimals
{
    private static readonly Dictionary<string, int> s_other = new(StringComparer.Ordinal)
    {
        ["BIF"] = 0, ["CLP"] = 0, ["DJF"] = 0, ["GNF"] = 0, ["ISK"] = 0, ["JPY"] = 0, ["KMF"] = 0, ["KRW"] = 0, ["PYG"] = 0,
        ["RWF"] = 0, ["UGX"] = 0, ["UYI"] = 0, ["VND"] = 0, ["VUV"] = 0, ["XAF"] = 0, ["XOF"] = 0, ["XPF"] = 0,
        ["BHD"] = 3, ["IQD"] = 3, ["JOD"] = 3, ["KWD"] = 3, ["LYD"] = 3, ["OMR"] = 3, ["TND"] = 3,
        ["CLF"] = 4, ["UYW"] = 4,
    };

    public static int Of(string? currency) => currency is not null && s_other.TryGetValue(currency, out var decimals) ? decimals : 2;
}
