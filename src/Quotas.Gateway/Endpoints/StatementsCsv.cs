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

    /// <summary>Whether the request asks for CSV rather than JSON.</summary>
    public static bool Accepted(HttpRequest request) =>
        request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals(ContentType, StringComparison.OrdinalIgnoreCase));

    public static string Write(IEnumerable<BillingStatement> statements)
    {
        var csv = new StringBuilder(Header).Append("\r\n");
        foreach (var statement in statements)
        {
            var common = string.Join(',', statement.TenantId, statement.PeriodStart.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                statement.Closed ? "true" : "false", Field(statement.Plan), Field(statement.Currency));
            if (statement.Plan is not null)
            {
                Row(csv, common, "monthly_fee", 1, 0, 1, statement.MonthlyFee, 1, statement.MonthlyFee, statement.Decimals);
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

    /// <summary>A text field, quoted when it holds a comma, a quote or a line break (a plan's name may).</summary>
    private static string Field(string? value) =>
        value is null ? "" : value.IndexOfAny([',', '"', '\r', '\n']) < 0 ? value : '"' + value.Replace("\"", "\"\"", StringComparison.Ordinal) + '"';
}
