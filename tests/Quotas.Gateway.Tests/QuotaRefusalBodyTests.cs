using System.Text;
using Microsoft.AspNetCore.Http;
using Quotas.Core.Tenants;
using Quotas.Gateway.Problems;

namespace Quotas.Gateway.Tests;

/// <summary>The exact bytes of a refusal: clients and the SDK parse these members, so their names and order are fixed.</summary>
public sealed class QuotaRefusalBodyTests
{
    private static async Task<(int Status, string Body, string? RetryAfter, IHeaderDictionary Headers)> Answer(Func<HttpContext, IResult> refuse)
    {
        var context = new DefaultHttpContext { TraceIdentifier = "0HNTEST:0000002A" };
        context.Request.Path = "/v1/tenants/acme/rate-limits/requests/hits";
        var body = new MemoryStream();
        context.Response.Body = body;

        await refuse(context).ExecuteAsync(context);

        return (context.Response.StatusCode, Encoding.UTF8.GetString(body.ToArray()), context.Response.Headers.RetryAfter.ToString(), context.Response.Headers);
    }

    [Fact]
    public async Task A_rate_refusal_is_a_quota_exceeded_problem_with_the_counts_and_the_wait()
    {
        var decision = new AdmissionDecision.Deny(ReasonCodes.RateLimited, "requests", 100, 100, TimeSpan.FromSeconds(17.2));

        var (status, body, retryAfter, _) = await Answer(context => QuotaRefusals.Refused(context, decision));

        Assert.Equal(429, status);
        Assert.Equal("18", retryAfter);
        Assert.Equal(
            """{"type":"https://iana.org/assignments/http-problem-types#quota-exceeded","title":"Quota exceeded","status":429,"detail":"Rate quota \u0027requests\u0027 is used up for the current window (100 of 100); retry after Retry-After.","instance":"/v1/tenants/acme/rate-limits/requests/hits","traceId":"0HNTEST:0000002A","code":"rate_limited","quota":"requests","violated-policies":["requests"],"current":100,"limit":100,"retryAfterSeconds":18}""",
            body);
    }

    [Fact]
    public async Task A_queued_refusal_carries_the_counts_and_the_drafts_fields_without_a_window()
    {
        var decision = new AdmissionDecision.Queue(ReasonCodes.QuotaExhausted, "cpu", TimeSpan.FromSeconds(2), 1000, 1000);

        var (status, body, retryAfter, headers) = await Answer(context => QuotaRefusals.Refused(context, decision));

        Assert.Equal(429, status);
        Assert.Equal("2", retryAfter);
        Assert.Equal("\"cpu\";q=1000", headers["RateLimit-Policy"].ToString());
        Assert.Equal("\"cpu\";r=0;t=2", headers["RateLimit"].ToString());
        Assert.Equal(
            """{"type":"https://iana.org/assignments/http-problem-types#quota-exceeded","title":"Quota exceeded","status":429,"detail":"Quota \u0027cpu\u0027 is fully used by live leases (1000 of 1000); retry after Retry-After or when a lease is released.","instance":"/v1/tenants/acme/rate-limits/requests/hits","traceId":"0HNTEST:0000002A","code":"quota_exhausted","quota":"cpu","violated-policies":["cpu"],"current":1000,"limit":1000,"retryAfterSeconds":2}""",
            body);
    }

    [Fact]
    public async Task A_queued_refusal_from_an_earlier_release_without_counts_still_answers_429()
    {
        var decision = new AdmissionDecision.Queue(ReasonCodes.QuotaExhausted, "cpu", TimeSpan.FromSeconds(2));

        var (status, body, retryAfter, headers) = await Answer(context => QuotaRefusals.Refused(context, decision));

        Assert.Equal(429, status);
        Assert.Equal("2", retryAfter);
        Assert.False(headers.ContainsKey("RateLimit"));
        Assert.DoesNotContain("\"current\"", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_renewal_names_its_quota_with_the_counts_and_no_wait()
    {
        var (status, body, retryAfter, headers) = await Answer(
            context => QuotaRefusals.Refused(context, ReasonCodes.SoftGraceExpired, "cpu", 131, 100, null));

        Assert.Equal(429, status);
        Assert.Equal("", retryAfter);
        Assert.Equal("\"cpu\";r=0", headers["RateLimit"].ToString());
        Assert.Contains("\"code\":\"soft_grace_expired\",\"quota\":\"cpu\",\"violated-policies\":[\"cpu\"],\"current\":131,\"limit\":100", body, StringComparison.Ordinal);
        Assert.Contains("grace period", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_suspended_tenants_refusal_gets_no_drafts_fields()
    {
        var decision = new AdmissionDecision.Deny(ReasonCodes.TenantSuspended, "cpu", 10, 1000, null);

        var (status, _, _, headers) = await Answer(context => QuotaRefusals.Refused(context, decision));

        Assert.Equal(429, status);
        Assert.False(headers.ContainsKey("RateLimit"));
        Assert.False(headers.ContainsKey("RateLimit-Policy"));
    }

    [Fact]
    public async Task A_storage_refusal_is_507_without_a_wait()
    {
        var decision = new AdmissionDecision.Deny(ReasonCodes.StorageQuotaExceeded, "disk", 900, 1000, TimeSpan.FromSeconds(5));

        var (status, body, retryAfter, _) = await Answer(context => QuotaRefusals.Refused(context, decision));

        Assert.Equal(507, status);
        Assert.Equal("", retryAfter);
        Assert.Equal(
            """{"type":"https://quotas.dev/problems/storage-quota-exceeded","title":"Storage quota exceeded","status":507,"detail":"Storage quota \u0027disk\u0027 would be exceeded (900 of 1000).","instance":"/v1/tenants/acme/rate-limits/requests/hits","traceId":"0HNTEST:0000002A","code":"storage_quota_exceeded","quota":"disk","violated-policies":["disk"],"current":900,"limit":1000}""",
            body);
    }
}
