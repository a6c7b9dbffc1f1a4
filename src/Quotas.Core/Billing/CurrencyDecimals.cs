namespace Quotas.Core.Billing;

/// <summary>
/// How many decimals a currency's amounts have (ISO 4217's minor unit): two, except the currencies listed here, so
/// that a statement in yen has whole yen and one in dinars has fils.
/// </summary>
public static class CurrencyDecimals
{
    private static readonly HashSet<string> s_none = new(StringComparer.Ordinal)
    {
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF",
    };

    private static readonly HashSet<string> s_three = new(StringComparer.Ordinal) { "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND" };

    public static int Of(string? currency) => currency is null ? 2 : s_none.Contains(currency) ? 0 : s_three.Contains(currency) ? 3 : 2;
}
