namespace Quotas.Core.Billing;

/// <summary>
/// How many decimals a currency's amounts have (ISO 4217's minor unit): two, except the currencies listed here, so
/// that a statement in yen has whole yen and one in dinars has fils. Browsers' own tables (CLDR) differ for some
/// currencies, so a statement says how many it used (<see cref="BillingStatement.Decimals"/>).
/// </summary>
public static class CurrencyDecimals
{
    private static readonly HashSet<string> s_none = new(StringComparer.Ordinal)
    {
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF",
    };

    private static readonly HashSet<string> s_three = new(StringComparer.Ordinal) { "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND" };

    private static readonly HashSet<string> s_four = new(StringComparer.Ordinal) { "CLF", "UYW" };

    public static int Of(string? currency) => currency switch
    {
        null => 2,
        _ when s_none.Contains(currency) => 0,
        _ when s_three.Contains(currency) => 3,
        _ when s_four.Contains(currency) => 4,
        _ => 2,
    };
}
