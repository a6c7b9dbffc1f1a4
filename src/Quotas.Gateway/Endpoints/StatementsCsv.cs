using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Quotas.Core.Billing;

namespace Quotas.Gateway.Endpoints;

/// <summary>
/// Statements as CSV (RFC 4180), for billing systems that import files: a header row, then a row per statement line
/// and one for each monthly fee (meter <c>monthly_fee</c>, quantity 1), amounts with their statement's decimals.
/// </summary>
internal static class StatementsCsv
{
    public const string ContentType = "text/csv";

    private const string Header = "tenant_id,period_start,closed,plan,currency,meter,quantity,included,billable,unit_price,per_units,amount";

    /// <summary>
    /// Whether the request asks for CSV rather than JSON: CSV weighed (its q) at least as much as JSON, by name or by a
    /// wildcard (<c>Accept: application/json, text/csv;q=0.1</c> gets JSON; a browser's <c>*/*</c> too).
    /// </summary>
    public static bool Accepted(HttpRequest request)
    {
        double csv = 0, json = 0;
        foreach (var accept in request.GetTypedHeaders().Accept)
        {
            var weight = accept.Quality ?? 1;
            var type = accept.MediaType.Value ?? "";
            if (type.Equals(ContentType, StringComparison.OrdinalIgnoreCase) || type.Equals("text/*", StringComparison.OrdinalIgnoreCase))
            {
                csv = Math.Max(csv, weight);
            }
            else if (type is "*/*" or "application/*" || type.Equals("application/json", StringComparison.OrdinalIgnoreCase))
            {
                json = Math.Max(json, weight);
            }
        }

        return csv > 0 && csv >= json;
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
    /// A text field, quoted when it holds a comma, a quote or a line break (a plan's name may). One that a spreadsheet
    /// would take for a formula (it starts with =, +, -, @, a tab or a carriage return) gets a leading apostrophe, so
    /// that opening the file runs nothing a plan's name says.
    /// </summary>
    private static string Field(string? value)
    {
        if (value is null)
        {
            return "";
        }

        var text = value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + value : value;
        return text.IndexOfAny([',', '"', '\r', '\n']) < 0 ? text : '"' + text.Replace("\"", "\"\"", StringComparison.Ordinal) + '"';
    }
}
