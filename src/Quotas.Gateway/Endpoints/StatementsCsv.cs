using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Quotas.Core.Billing;

namespace Quotas.Gateway.Endpoints;

/// <summary>
/// Statements as CSV (RFC 4180), for billing systems that import files: a header row, then a row per statement line
/// and one for each monthly fee (meter <c>monthly_fee</c>, quantity 1), amounts with their statement's decimals.
/// </summary>
internal static class StatementsCsv
{
    /// <summary>The media type, as the API document names it.</summary>
    public const string MediaType = "text/csv";

    /// <summary>The answer's content type, with its charset: RFC 4180's default is US-ASCII, and a plan's name may hold any character.</summary>
    public const string ContentType = MediaType + "; charset=utf-8";

    private const string Header = "tenant_id,period_start,closed,plan,currency,meter,quantity,included,billable,unit_price,per_units,amount";

    /// <summary>
    /// Whether the request asks for CSV rather than JSON: a range that names CSV (<c>text/csv</c> or <c>text/*</c>)
    /// weighs it at least as much as JSON, each weighed by its most specific range of <c>Accept</c> (RFC 9110).
    /// <c>application/json, text/csv;q=0.1</c> gets JSON, as do a browser's <c>*/*</c> and <c>text/csv;q=0, text/*</c>.
    /// </summary>
    public static bool Accepted(HttpRequest request)
    {
        var accept = request.GetTypedHeaders().Accept;
        var csv = Weight(accept, "text", "csv", anyCounts: false);
        return csv > 0 && csv >= Weight(accept, "application", "json", anyCounts: true);
    }

    /// <summary>
    /// The q of the most specific range that matches type/subtype (exact, then type/*, then */* when
    /// <paramref name="anyCounts"/>); 0 when none does.
    /// </summary>
    private static double Weight(IList<MediaTypeHeaderValue> accept, string type, string subtype, bool anyCounts)
    {
        double? exact = null, ofType = null, any = null;
        foreach (var range in accept)
        {
            var weight = range.Quality ?? 1;
            if (range.MatchesAllTypes)
            {
                any = Math.Max(any ?? 0, weight);
            }
            else if (range.Type.Equals(type, StringComparison.OrdinalIgnoreCase))
            {
                if (range.MatchesAllSubTypes)
                {
                    ofType = Math.Max(ofType ?? 0, weight);
                }
                else if (range.SubType.Equals(subtype, StringComparison.OrdinalIgnoreCase))
                {
                    exact = Math.Max(exact ?? 0, weight);
                }
            }
        }

        return exact ?? ofType ?? (anyCounts ? any : null) ?? 0;
    }

    public static string Write(IEnumerable<BillingStatement> statements)
    {
        var csv = new StringBuilder(Header).Append("\r\n");
        foreach (var statement in statements)
        {
            var common = string.Join(',', statement.TenantId, statement.PeriodStart.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                statement.Closed ? "true" : "false", Field(statement.Plan), Field(statement.Currency));
            if (statement.Plan is not null)
            {
                Row(csv, common, PricingPlan.MonthlyFeeMeter, 1, 0, 1, statement.MonthlyFee, 1, statement.MonthlyFee, statement.Decimals);
            }

            foreach (var line in statement.Lines)
            {
                Row(csv, common, line.Meter, line.Quantity, line.Included, line.Billable, line.UnitPrice, line.PerUnits, line.Amount, statement.Decimals);
            }
        }

        return csv.ToString();
    }

    private static void Row(StringBuilder csv, string common, string meter, long quantity, long included, long billable, decimal unitPrice, long perUnits, decimal amount, int decimals) =>
        csv.Append(common).Append(',').Append(meter)
            .Append(CultureInfo.InvariantCulture, $",{quantity},{included},{billable},{unitPrice},{perUnits},")
            .Append(amount.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture))
            .Append("\r\n");

    /// <summary>
    /// A text field, quoted when it holds a comma, a quote or a line break (a plan's name may). A part that a spreadsheet
    /// would take for a formula (it starts with =, +, -, @, a tab or a carriage return, after any quotes and spaces a
    /// lenient reader drops) gets a leading apostrophe, so that opening the file runs nothing a plan's name says: the
    /// field's start, and each start after a semicolon, which spreadsheets of locales whose list separator it is split
    /// fields on.
    /// </summary>
    private static bool StartsAsFormula(string part)
    {
        var start = part.AsSpan().TrimStart("\" ");
        return start.Length > 0 && start[0] is '=' or '+' or '-' or '@' or '\t' or '\r';
    }

    private static string Field(string? value)
    {
        if (value is null)
        {
            return "";
        }

        var text = string.Join(';', value.Split(';').Select(part => StartsAsFormula(part) ? "'" + part : part));
        return text.IndexOfAny([',', '"', '\r', '\n']) < 0 ? text : '"' + text.Replace("\"", "\"\"", StringComparison.Ordinal) + '"';
    }
}
