using System.Collections.Frozen;

namespace Quotas.Core.Billing;

/// <summary>
/// The currencies a plan may bill in, ISO 4217's codes in use (2025), and how many decimals each one's amounts have
/// (its minor unit), so that a statement in yen has whole yen and one in dinars has fils. A code outside the list (a
/// typo such as "EUX", a withdrawn code such as "HRK", or a precious metal such as "XAU") is refused when a plan is
/// set: a statement in it would bill in a currency no one can pay. ISO's fund codes stay (Chile's unidad de fomento,
/// CLF, or Uruguay's UYI): contracts are priced in them and paid at the day's rate. Browsers' own tables (CLDR) differ for some
/// currencies, so a statement says how many decimals it used (<see cref="BillingStatement.Decimals"/>).
/// </summary>
public static class CurrencyDecimals
{
    private static readonly FrozenDictionary<string, int> s_decimals = Table(
        (0, "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"),
        (2, "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF " +
            "CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD " +
            "HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP " +
            "MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR " +
            "SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED " +
            "VES WST XCD XCG YER ZAR ZMW ZWG ZWL"),
        (3, "BHD IQD JOD KWD LYD OMR TND"),
        (4, "CLF UYW"));

    /// <summary>Whether <paramref name="currency"/> is an ISO 4217 code in use that a plan may bill in.</summary>
    public static bool IsKnown(string? currency) => currency is not null && s_decimals.ContainsKey(currency);

    /// <summary>The currency's decimals; 2 for a code not in the list (a plan stored before the list was enforced).</summary>
    public static int Of(string? currency) => currency is not null && s_decimals.TryGetValue(currency, out var decimals) ? decimals : 2;

    private static FrozenDictionary<string, int> Table(params (int Decimals, string Codes)[] groups) =>
        groups.SelectMany(group => group.Codes.Split(' ').Select(code => KeyValuePair.Create(code, group.Decimals)))
            .ToFrozenDictionary(StringComparer.Ordinal);
}
