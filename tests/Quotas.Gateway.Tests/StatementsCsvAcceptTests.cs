using Microsoft.AspNetCore.Http;
using Quotas.Gateway.Endpoints;

namespace Quotas.Gateway.Tests;

/// <summary>Which of JSON and CSV a statements list answers, by the Accept header's most specific ranges and their q.</summary>
public sealed class StatementsCsvAcceptTests
{
    [Theory]
    [InlineData(null, false)]
    [InlineData("text/csv", true)]
    [InlineData("text/*", true)]
    [InlineData("*/*", false)]
    [InlineData("application/json, text/csv;q=0.1", false)]
    [InlineData("text/csv, application/json", true)]
    [InlineData("text/csv;q=0, text/*", false)]
    [InlineData("text/csv;q=0.5, application/json;q=0.1, */*", true)]
    [InlineData("text/html, */*;q=0.8", false)]
    public void Csv_is_answered_when_it_weighs_at_least_as_much_as_json(string? accept, bool csv)
    {
        var context = new DefaultHttpContext();
        if (accept is not null)
        {
            context.Request.Headers.Accept = accept;
        }

        Assert.Equal(csv, StatementsCsv.Accepted(context.Request));
    }
}
