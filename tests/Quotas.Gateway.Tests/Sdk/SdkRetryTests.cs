using System.Net;
using System.Text;
using Quotas.Client;

namespace Quotas.Gateway.Tests.Sdk;

/// <summary>The SDK's retry rules against scripted answers: which calls are retried, after how long, and how often.</summary>
public sealed class SdkRetryTests
{
    private const string JobJson = """{"id":7,"tenant":"acme","demand":{"cpu":1},"priority":0,"idempotencyKey":"k","state":"queued","submittedAt":"2026-01-01T00:00:00Z","enqueuedAt":"2026-01-01T00:00:00Z","attempts":0,"someFieldFromANewerServer":true}""";

    private readonly RecordingTimeProvider _time = new();

    [Fact]
    public async Task A_put_is_retried_after_503_with_growing_jittered_backoff_until_it_succeeds()
    {
        var handler = new RecordingHandler((attempt, _) => attempt < 3 ? Problem(HttpStatusCode.ServiceUnavailable, "unavailable") : new HttpResponseMessage(HttpStatusCode.NoContent));
        var client = Client(handler);

        var report = client.Admission.ReportGaugeAsync("acme", "storage_bytes", 10);
        for (var retry = 1; retry <= 2; retry++)
        {
            var delay = await _time.NextDelayAsync();
            Assert.InRange(delay, TimeSpan.Zero, TimeSpan.FromMilliseconds(100 * Math.Pow(2, retry - 1)));
            _time.Clock.Advance(delay);
        }

        await report;
        Assert.Equal(3, handler.Attempts.Count);
        Assert.All(handler.Attempts, a => Assert.Equal(HttpMethod.Put, a.Method));
    }

    [Fact]
    public async Task A_post_without_an_idempotency_key_is_never_retried()
    {
        var handler = new RecordingHandler((_, _) => Problem(HttpStatusCode.ServiceUnavailable, "unavailable"));
        var client = Client(handler);

        var error = await Assert.ThrowsAsync<QuotasApiException>(() => client.Workers.CompleteAsync("pool", 7, JobOutcome.Succeeded));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.StatusCode);
        Assert.Equal("unavailable", error.Code);
        Assert.Single(handler.Attempts);
        Assert.False(_time.HasPendingDelay);
    }

    [Fact]
    public async Task A_job_submit_carries_its_own_idempotency_key_and_is_retried_after_the_429s_Retry_After()
    {
        var handler = new RecordingHandler((attempt, _) => attempt == 1
            ? Refusal(TimeSpan.FromSeconds(7))
            : new HttpResponseMessage(HttpStatusCode.Created) { Content = new StringContent(JobJson, Encoding.UTF8, "application/json") });
        var client = Client(handler);

        var submit = client.Jobs.SubmitAsync("acme", "pool", new NewJob(new Dictionary<string, long> { ["cpu"] = 1 }));
        var delay = await _time.NextDelayAsync();
        Assert.InRange(delay, TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(7) + TimeSpan.FromMilliseconds(100));
        _time.Clock.Advance(delay);
        var job = await submit;

        Assert.Equal(7, job.Id);
        Assert.Equal(JobState.Queued, job.State);
        Assert.Equal(2, handler.Attempts.Count);
        Assert.False(string.IsNullOrEmpty(handler.Attempts[0].IdempotencyKey));
        Assert.Equal(handler.Attempts[0].IdempotencyKey, handler.Attempts[1].IdempotencyKey);
    }

    [Fact]
    public async Task A_keyed_request_still_in_flight_is_retried_after_the_409s_Retry_After_and_other_conflicts_are_not()
    {
        var handler = new RecordingHandler((attempt, request) => (attempt, request.Method == HttpMethod.Post) switch
        {
            (1, true) => WithRetryAfter(Problem(HttpStatusCode.Conflict, "idempotency_key_in_flight"), TimeSpan.FromSeconds(1)),
            (_, true) => new HttpResponseMessage(HttpStatusCode.Created) { Content = new StringContent(JobJson, Encoding.UTF8, "application/json") },
            _ => Problem(HttpStatusCode.Conflict, "pool_being_deleted"),
        });
        var client = Client(handler);

        // The first attempt's twin still runs on the server: the retry a second later gets its answer.
        var submit = client.Jobs.SubmitAsync("acme", "pool", new NewJob(new Dictionary<string, long> { ["cpu"] = 1 }), idempotencyKey: "k");
        var delay = await _time.NextDelayAsync();
        Assert.InRange(delay, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1) + TimeSpan.FromMilliseconds(100));
        _time.Clock.Advance(delay);
        Assert.Equal(7, (await submit).Id);
        Assert.Equal(["k", "k"], handler.Attempts.Select(a => a.IdempotencyKey));

        // A conflict without Retry-After is the caller's to resolve, even for a request that could be repeated.
        var conflict = await Assert.ThrowsAsync<QuotasApiException>(() => client.Pools.UpdateCapacityAsync("pool", new Dictionary<string, long> { ["cpu"] = 1 }));
        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.Equal(3, handler.Attempts.Count);
        Assert.False(_time.HasPendingDelay);
    }

    private static HttpResponseMessage WithRetryAfter(HttpResponseMessage response, TimeSpan wait)
    {
        response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(wait);
        return response;
    }

    [Fact]
    public async Task Retries_are_bounded_and_the_last_answer_is_thrown_with_its_problem_details()
    {
        var handler = new RecordingHandler((_, _) => Problem(HttpStatusCode.GatewayTimeout, "timeout"));
        var client = Client(handler, maxRetries: 2);

        var get = client.Tenants.GetAsync("acme");
        for (var retry = 1; retry <= 2; retry++)
        {
            _time.Clock.Advance(await _time.NextDelayAsync());
        }

        var error = await Assert.ThrowsAsync<QuotasApiException>(() => get);
        Assert.Equal(HttpStatusCode.GatewayTimeout, error.StatusCode);
        Assert.Equal("trace-1", error.Problem.TraceId);
        Assert.Contains("trace-1", error.Message, StringComparison.Ordinal);
        Assert.Equal("/v1/tenants/acme", error.Problem.Instance);
        Assert.Contains("/v1/tenants/acme", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, handler.Attempts.Count);
    }

    /// <summary>As a 503's: retrying within the backoff would come back long before the server asked.</summary>
    [Theory]
    [InlineData(HttpStatusCode.BadGateway)]
    [InlineData(HttpStatusCode.GatewayTimeout)]
    public async Task A_502_or_504_whose_Retry_After_is_longer_than_the_maximum_delay_goes_to_the_caller_at_once(HttpStatusCode status)
    {
        var handler = new RecordingHandler((_, _) => WithRetryAfter(Problem(status, "timeout"), TimeSpan.FromSeconds(120)));

        var error = await Assert.ThrowsAsync<QuotasApiException>(() => Client(handler).Tenants.GetAsync("acme"));

        Assert.Single(handler.Attempts);
        Assert.Equal(status, error.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(120), error.RetryAfter);
    }

    [Fact]
    public async Task A_Retry_After_longer_than_the_maximum_delay_goes_to_the_caller_at_once_with_the_rate_limit_state()
    {
        var handler = new RecordingHandler((_, _) => Refusal(TimeSpan.FromSeconds(120)));
        var client = Client(handler);

        var error = await Assert.ThrowsAsync<QuotaExceededException>(() => client.Usage.GetLimitsAsync("acme"));

        Assert.Single(handler.Attempts);
        Assert.Equal(TimeSpan.FromSeconds(120), error.RetryAfter);
        Assert.Equal("requests", error.Quota);
        Assert.Equal(100, error.Problem.Limit);
        Assert.Equal(["requests"], error.Problem.ViolatedPolicies);
        Assert.Equal(new RateLimitState("requests", 100, TimeSpan.FromSeconds(60), 0, TimeSpan.FromSeconds(120)), error.RateLimit);
    }

    [Fact]
    public async Task A_429_without_Retry_After_is_not_retried_because_waiting_does_not_help()
    {
        var handler = new RecordingHandler((_, _) => Refusal(retryAfter: null));
        var client = Client(handler);

        var error = await Assert.ThrowsAsync<QuotaExceededException>(() => client.Tenants.GetAsync("acme"));

        Assert.Null(error.RetryAfter);
        Assert.Single(handler.Attempts);
    }

    [Fact]
    public async Task A_lost_connection_is_retried_for_a_get()
    {
        var handler = new RecordingHandler((attempt, _) => attempt == 1
            ? throw new HttpRequestException("Connection refused")
            : new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("""{"items":[{"address":"127.0.0.1:11111","status":"Active","activations":3}],"nextCursor":null}""", Encoding.UTF8, "application/json") });
        var client = Client(handler);

        var silos = client.ListSilosAsync().ToListAsync().AsTask();
        _time.Clock.Advance(await _time.NextDelayAsync());

        Assert.Equal(3, Assert.Single(await silos).Activations);
        Assert.Equal(2, handler.Attempts.Count);
    }

    /// <summary>
    /// A delete retried after an answer that may hide a delete that happened (504) finds nothing: done, not an error. A
    /// delete that finds nothing at its first attempt is an error, as is a 404 after an attempt that did not run (429).
    /// </summary>
    [Fact]
    public async Task A_delete_retried_after_it_may_have_run_is_done_when_the_retry_finds_nothing()
    {
        var afterTimeout = new RecordingHandler((attempt, _) => attempt == 1 ? Problem(HttpStatusCode.GatewayTimeout, "timeout") : Problem(HttpStatusCode.NotFound, "unknown_tenant"));
        var deleting = Client(afterTimeout).Tenants.DeleteAsync("acme");
        _time.Clock.Advance(await _time.NextDelayAsync());
        await deleting;
        Assert.Equal(2, afterTimeout.Attempts.Count);

        var atOnce = new RecordingHandler((_, _) => Problem(HttpStatusCode.NotFound, "unknown_tenant"));
        Assert.Equal(HttpStatusCode.NotFound, (await Assert.ThrowsAsync<QuotasApiException>(() => Client(atOnce).Tenants.DeleteAsync("acme"))).StatusCode);

        var afterRefusal = new RecordingHandler((attempt, _) => attempt == 1 ? Refusal(TimeSpan.FromSeconds(1)) : Problem(HttpStatusCode.NotFound, "unknown_tenant"));
        var refused = Client(afterRefusal).Tenants.DeleteAsync("acme");
        _time.Clock.Advance(await _time.NextDelayAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await Assert.ThrowsAsync<QuotasApiException>(() => refused)).StatusCode);

        // A pool's delete whose first attempt timed out, retried by the caller: it meets that attempt still running,
        // waits as told, and finds the pool gone.
        var ownDelete = new RecordingHandler((attempt, _) => attempt == 1
            ? WithRetryAfter(Problem(HttpStatusCode.Conflict, "pool_being_deleted"), TimeSpan.FromSeconds(1))
            : Problem(HttpStatusCode.NotFound, "unknown_pool"));
        var retried = Client(ownDelete).Pools.DeleteAsync("gpu");
        _time.Clock.Advance(await _time.NextDelayAsync());
        await retried;
        Assert.Equal(2, ownDelete.Attempts.Count);

        // A tenant's delete that meets one of its pools being deleted did not run: a retry that finds no tenant is told so.
        var notOwn = new RecordingHandler((attempt, _) => attempt == 1
            ? WithRetryAfter(Problem(HttpStatusCode.Conflict, "pool_being_deleted"), TimeSpan.FromSeconds(1))
            : Problem(HttpStatusCode.NotFound, "unknown_tenant"));
        var tenantDelete = Client(notOwn).Tenants.DeleteAsync("acme");
        _time.Clock.Advance(await _time.NextDelayAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await Assert.ThrowsAsync<QuotasApiException>(() => tenantDelete)).StatusCode);
    }

    /// <summary>
    /// A connection that was never made (refused) ran nothing: a delete retried after it that finds nothing is told so,
    /// as a revocation of a mistyped key id must be. One whose answer was lost (the request went out) may have run.
    /// </summary>
    [Fact]
    public async Task A_delete_retried_after_a_connection_that_was_never_made_is_not_done_when_the_retry_finds_nothing()
    {
        var refused = new RecordingHandler((attempt, _) => attempt == 1
            ? throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused")
            : Problem(HttpStatusCode.NotFound, "not_found"));
        var revoking = Client(refused).Tenants.RevokeApiKeyAsync("acme", "key-1");
        _time.Clock.Advance(await _time.NextDelayAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await Assert.ThrowsAsync<QuotasApiException>(() => revoking)).StatusCode);
        Assert.Equal(2, refused.Attempts.Count);

        var lostAnswer = new RecordingHandler((attempt, _) => attempt == 1
            ? throw new HttpRequestException(HttpRequestError.ResponseEnded, "The response ended prematurely")
            : Problem(HttpStatusCode.NotFound, "not_found"));
        var retried = Client(lostAnswer).Tenants.RevokeApiKeyAsync("acme", "key-1");
        _time.Clock.Advance(await _time.NextDelayAsync());
        await retried;
        Assert.Equal(2, lostAnswer.Attempts.Count);
    }

    [Fact]
    public async Task A_keyed_post_that_timed_out_is_retried_with_the_same_key()
    {
        var handler = new RecordingHandler((attempt, _) => attempt == 1
            ? throw new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout of 10 seconds elapsing.", new TimeoutException())
            : new HttpResponseMessage(HttpStatusCode.Created) { Content = new StringContent(JobJson, Encoding.UTF8, "application/json") });
        var client = Client(handler);

        var submit = client.Jobs.SubmitAsync("acme", "pool", new NewJob(new Dictionary<string, long> { ["cpu"] = 1 }));
        _time.Clock.Advance(await _time.NextDelayAsync());

        Assert.Equal(7, (await submit).Id);
        Assert.Equal(2, handler.Attempts.Count);
        Assert.Equal(handler.Attempts[0].IdempotencyKey, handler.Attempts[1].IdempotencyKey);
    }

    /// <summary>
    /// A keyed call the SDK gave up on tells the caller its key, so that sending it again later meets the first
    /// attempt's answer rather than running twice: on the API's error, and on a lost connection's or timeout's own.
    /// </summary>
    [Fact]
    public async Task A_keyed_call_that_fails_carries_its_key_and_the_answers_Retry_After()
    {
        var busy = new RecordingHandler((_, _) => WithRetryAfter(Problem(HttpStatusCode.ServiceUnavailable, "unavailable"), TimeSpan.FromSeconds(120)));
        var error = await Assert.ThrowsAsync<QuotasApiException>(() => Client(busy).Jobs.SubmitAsync("acme", "pool", new NewJob(new Dictionary<string, long> { ["cpu"] = 1 })));
        Assert.Single(busy.Attempts);
        Assert.Equal(TimeSpan.FromSeconds(120), error.RetryAfter);
        Assert.NotNull(error.IdempotencyKey);
        Assert.Equal(busy.Attempts[0].IdempotencyKey, error.IdempotencyKey);

        var timedOut = new RecordingHandler((_, _) => throw new TaskCanceledException("timed out", new TimeoutException()));
        var timeout = await Assert.ThrowsAsync<TaskCanceledException>(() => Client(timedOut, maxRetries: 0).Admission.AcquireLeaseAsync("acme", "slots", 1, TimeSpan.FromMinutes(1), idempotencyKey: "lease-7"));
        Assert.Equal("lease-7", timeout.Data[QuotasApiException.IdempotencyKeyData]);

        var unkeyed = await Assert.ThrowsAsync<QuotasApiException>(() => Client(busy).Tenants.GetAsync("acme"));
        Assert.Null(unkeyed.IdempotencyKey);
    }

    [Fact]
    public async Task An_error_body_of_a_proxy_s_own_making_keeps_its_text()
    {
        var handler = new RecordingHandler((_, _) => new HttpResponseMessage(HttpStatusCode.BadGateway)
        {
            Content = new StringContent("""{"message":"no healthy upstream"}""", Encoding.UTF8, "application/json"),
        });

        var error = await Assert.ThrowsAsync<QuotasApiException>(() => Client(handler, maxRetries: 0).Tenants.GetAsync("acme"));

        Assert.Contains("no healthy upstream", error.Problem.Detail, StringComparison.Ordinal);
        Assert.Contains("no healthy upstream", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("commande-é1")]
    [InlineData("two words")]
    [InlineData("")]
    public async Task An_idempotency_key_a_header_cannot_carry_is_refused_before_anything_is_sent(string key)
    {
        var handler = new RecordingHandler((_, _) => new HttpResponseMessage(HttpStatusCode.Created));
        var client = Client(handler);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => client.Jobs.SubmitAsync("acme", "pool", new NewJob(new Dictionary<string, long> { ["cpu"] = 1 }), idempotencyKey: key));

        Assert.Equal("idempotencyKey", error.ParamName);
        Assert.Empty(handler.Attempts);
    }

    [Fact]
    public async Task A_usage_event_id_goes_in_the_body_and_the_call_is_retried_without_a_header()
    {
        var bodies = new List<string>();
        var handler = new RecordingHandler((attempt, request) =>
        {
            bodies.Add(request.Content!.ReadAsStringAsync().GetAwaiter().GetResult());
            return attempt == 1
                ? Problem(HttpStatusCode.BadGateway, "bad_gateway")
                : new HttpResponseMessage(HttpStatusCode.Created) { Content = new StringContent("""{"duplicate":false,"quota":"cost","consumed":1,"limit":10,"overLimit":false,"periodStart":"2026-12-01T00:00:00Z","periodEnd":"2027-01-01T00:00:00Z"}""", Encoding.UTF8, "application/json") };
        });
        var client = Client(handler);

        var recording = client.Admission.RecordUsageAsync("acme", "cost", 1, eventId: "evt-9");
        _time.Clock.Advance(await _time.NextDelayAsync());
        await recording;

        Assert.Equal(2, handler.Attempts.Count);
        Assert.All(handler.Attempts, attempt => Assert.Null(attempt.IdempotencyKey));
        Assert.All(bodies, body => Assert.Contains("\"eventId\":\"evt-9\"", body, StringComparison.Ordinal));
    }

    /// <summary>
    /// A usage call the SDK gave up on hands over its key; sent again with it, the request meets the first attempt's
    /// answer. The key could only be sent as an event id before, which the gateway keeps apart from header keys.
    /// </summary>
    [Fact]
    public async Task A_usage_call_sent_again_with_the_key_of_one_given_up_on_carries_that_key()
    {
        var handler = new RecordingHandler((attempt, _) => attempt <= 4
            ? Problem(HttpStatusCode.BadGateway, "bad_gateway")
            : new HttpResponseMessage(HttpStatusCode.Created) { Content = new StringContent("""{"duplicate":true,"quota":"cost","consumed":1,"limit":10,"overLimit":false,"periodStart":"2026-12-01T00:00:00Z","periodEnd":"2027-01-01T00:00:00Z"}""", Encoding.UTF8, "application/json") });
        var client = Client(handler);

        var first = client.Admission.RecordUsageAsync("acme", "cost", 1);
        for (var retry = 0; retry < 3; retry++)
        {
            _time.Clock.Advance(await _time.NextDelayAsync());
        }

        var error = await Assert.ThrowsAsync<QuotasApiException>(() => first);
        Assert.NotNull(error.IdempotencyKey);
        var again = await client.Admission.RecordUsageAsync("acme", "cost", 1, idempotencyKey: error.IdempotencyKey);

        Assert.True(again.Duplicate);
        Assert.Equal(5, handler.Attempts.Count);
        Assert.All(handler.Attempts, attempt => Assert.Equal(error.IdempotencyKey, attempt.IdempotencyKey));
        await Assert.ThrowsAsync<ArgumentException>(() => client.Admission.RecordUsageAsync("acme", "cost", 1, eventId: "evt-1", idempotencyKey: "key-1"));
        Assert.Equal(5, handler.Attempts.Count);
    }

    /// <summary>
    /// The forms of earlier releases (the token right after the event id) still compile and run: applications built
    /// against them call these, and failed with MissingMethodException when given the new assembly alone.
    /// </summary>
    [Fact]
    public async Task The_earlier_forms_of_a_usage_record_still_send_the_event_id()
    {
        var bodies = new List<string>();
        var handler = new RecordingHandler((_, request) =>
        {
            bodies.Add(request.Content!.ReadAsStringAsync().GetAwaiter().GetResult());
            return new HttpResponseMessage(HttpStatusCode.Created) { Content = new StringContent("""{"duplicate":false,"quota":"cost","consumed":1,"limit":10,"overLimit":false,"periodStart":"2026-12-01T00:00:00Z","periodEnd":"2027-01-01T00:00:00Z"}""", Encoding.UTF8, "application/json") };
        });
        var client = Client(handler);

        await client.Admission.RecordUsageAsync("acme", "cost", 1, "evt-10", CancellationToken.None);
        await client.Admission.RecordUsageAsync("acme", "cost", 1, DateTimeOffset.Parse("2026-12-01T00:00:00Z"), "evt-11", CancellationToken.None);

        Assert.All(handler.Attempts, attempt => Assert.Null(attempt.IdempotencyKey));
        Assert.Contains("\"eventId\":\"evt-10\"", bodies[0], StringComparison.Ordinal);
        Assert.Contains("\"eventId\":\"evt-11\"", bodies[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancelling_stops_a_retry_delay()
    {
        var handler = new RecordingHandler((_, _) => Problem(HttpStatusCode.ServiceUnavailable, "unavailable"));
        var client = Client(handler);
        using var cancel = new CancellationTokenSource();

        var get = client.Tenants.GetAsync("acme", cancel.Token);
        await _time.NextDelayAsync();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => get);
        Assert.Single(handler.Attempts);
    }

    /// <summary>
    /// A caller that gives up while a keyed submit waits to retry (its first attempt may have queued the job) gets the key
    /// the SDK made, so that it can submit again with it and meet that job rather than queue a second.
    /// </summary>
    [Fact]
    public async Task Cancelling_while_a_keyed_submit_waits_to_retry_hands_over_its_key()
    {
        var handler = new RecordingHandler((_, _) => Problem(HttpStatusCode.ServiceUnavailable, "unavailable"));
        var client = Client(handler);
        using var cancel = new CancellationTokenSource();

        var submit = client.Jobs.SubmitAsync("acme", "pool", new NewJob(new Dictionary<string, long> { ["cpu"] = 1 }), cancellationToken: cancel.Token);
        await _time.NextDelayAsync();
        await cancel.CancelAsync();

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => submit);
        var sent = Assert.Single(handler.Attempts).IdempotencyKey;
        Assert.NotNull(sent);
        Assert.Equal(sent, error.Data[QuotasApiException.IdempotencyKeyData]);
    }

    [Fact]
    public async Task A_wait_with_its_jitter_stays_within_MaxRetryDelay()
    {
        var handler = new RecordingHandler((attempt, _) => attempt == 1 ? Refusal(TimeSpan.FromSeconds(30)) : new HttpResponseMessage(HttpStatusCode.NoContent));
        var client = Client(handler);

        var report = client.Admission.ReportGaugeAsync("acme", "storage_bytes", 10);
        var delay = await _time.NextDelayAsync();
        _time.Clock.Advance(delay);
        await report;

        Assert.Equal(TimeSpan.FromSeconds(30), delay); // a Retry-After of MaxRetryDelay itself: no room left for jitter
    }

    [Fact]
    public async Task A_list_stops_with_an_error_when_the_server_repeats_its_cursor()
    {
        var handler = new RecordingHandler((_, _) => new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StringContent("""{"items":[{"id":"acme"}],"nextCursor":"c1"}""", Encoding.UTF8, "application/json"),
        });
        var client = Client(handler);

        var error = await Assert.ThrowsAsync<QuotasApiException>(async () =>
        {
            await foreach (var _ in client.Tenants.ListAsync())
            {
            }
        });

        Assert.Contains("is the one just sent", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, handler.Attempts.Count);
    }

    /// <summary>A server whose cursors go round (A, B, A) would be listed for ever: the SDK stops at the first repeat.</summary>
    [Fact]
    public async Task A_list_stops_with_an_error_when_the_server_s_cursors_go_round()
    {
        // After ten pages the server fails instead, so that an SDK that went round would end, with another error.
        var handler = new RecordingHandler((attempt, _) => attempt > 10 ? Problem(HttpStatusCode.InternalServerError, "internal") : new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StringContent($$"""{"items":[{"id":"t-{{attempt}}"}],"nextCursor":"{{(attempt % 2 == 1 ? "a" : "b")}}"}""", Encoding.UTF8, "application/json"),
        });
        var listed = new List<string>();

        var error = await Assert.ThrowsAsync<QuotasApiException>(async () =>
        {
            await foreach (var tenant in Client(handler).Tenants.ListAsync())
            {
                listed.Add(tenant.Id);
            }
        });

        Assert.Contains("was sent before", error.Message, StringComparison.Ordinal);
        Assert.Equal(["t-1", "t-2", "t-3"], listed);
    }

    /// <summary>
    /// A 504 or 502 with Retry-After (the gateway's 504 asks for a second) is not retried before it: the backoff alone
    /// (100 ms here) sent every retry within it. A date-form Retry-After counts from the answer's own Date, so that a
    /// client clock an hour behind waits the 2 seconds asked, not an hour and 2 seconds (thrown as beyond the maximum).
    /// </summary>
    [Fact]
    public async Task A_502_or_504_is_retried_no_sooner_than_its_Retry_After_counted_from_the_answers_date()
    {
        var serverNow = _time.GetUtcNow().AddHours(1);
        var handler = new RecordingHandler((attempt, _) => attempt switch
        {
            1 => WithRetryAfter(Problem(HttpStatusCode.GatewayTimeout, "timeout"), TimeSpan.FromSeconds(1)),
            2 => WithDatedRetryAfter(Problem(HttpStatusCode.BadGateway, "bad_gateway"), serverNow, serverNow.AddSeconds(2)),
            _ => new HttpResponseMessage(HttpStatusCode.NoContent),
        });
        var client = Client(handler);

        var report = client.Admission.ReportGaugeAsync("acme", "storage_bytes", 10);
        var afterTimeout = await _time.NextDelayAsync();
        _time.Clock.Advance(afterTimeout);
        var afterBadGateway = await _time.NextDelayAsync();
        _time.Clock.Advance(afterBadGateway);
        await report;

        Assert.InRange(afterTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1.1));
        Assert.InRange(afterBadGateway, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2.1));
        Assert.Equal(3, handler.Attempts.Count);
    }

    private static HttpResponseMessage WithDatedRetryAfter(HttpResponseMessage response, DateTimeOffset date, DateTimeOffset retryAt)
    {
        response.Headers.Date = date;
        response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(retryAt);
        return response;
    }

    /// <summary>A list answered with JSON of another service (no items) is an API error naming the cause, not a NullReferenceException.</summary>
    [Fact]
    public async Task A_list_answered_with_a_page_without_items_is_an_api_error()
    {
        var handler = new RecordingHandler((_, _) => new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StringContent("""{"status":"ok"}""", Encoding.UTF8, "application/json"),
        });
        var client = Client(handler);

        var error = await Assert.ThrowsAsync<QuotasApiException>(async () =>
        {
            await foreach (var _ in client.Tenants.ListAsync())
            {
            }
        });

        Assert.Contains("answered a page without items; check that BaseAddress is the gateway's", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_success_whose_body_is_not_json_is_an_api_error_that_says_what_answered()
    {
        var handler = new RecordingHandler((_, _) => new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StringContent("<html>portal</html>", Encoding.UTF8, "text/html"),
        });
        var client = Client(handler);

        var error = await Assert.ThrowsAsync<QuotasApiException>(() => client.Tenants.GetAsync("acme"));

        Assert.Contains("text/html", error.Message, StringComparison.Ordinal);
        Assert.IsType<System.Text.Json.JsonException>(error.InnerException, exactMatch: false);
    }

    private QuotasClient Client(RecordingHandler handler, int maxRetries = 3) =>
        new(new HttpClient(handler), new QuotasClientOptions
        {
            BaseAddress = new Uri("http://quotas.test"),
            ApiKey = "qk_0123456789abcdef_secret",
            MaxRetries = maxRetries,
            RetryBaseDelay = TimeSpan.FromMilliseconds(100),
            MaxRetryDelay = TimeSpan.FromSeconds(30),
            TimeProvider = _time,
        });

    private static HttpResponseMessage Problem(HttpStatusCode status, string code) => new(status)
    {
        Content = new StringContent($$"""{"type":"https://quotas.dev/problems/{{code}}","title":"t","status":{{(int)status}},"detail":"d","code":"{{code}}","traceId":"trace-1","instance":"/v1/tenants/acme"}""", Encoding.UTF8, "application/problem+json"),
    };

    private static HttpResponseMessage Refusal(TimeSpan? retryAfter)
    {
        var response = new HttpResponseMessage(HttpStatusCode.TooManyRequests)
        {
            Content = new StringContent("""{"type":"https://iana.org/assignments/http-problem-types#quota-exceeded","title":"Quota exceeded","status":429,"code":"rate_limited","traceId":"trace-2","quota":"requests","violated-policies":["requests"],"current":100,"limit":100}""", Encoding.UTF8, "application/problem+json"),
        };
        if (retryAfter is { } wait)
        {
            response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(wait);
            response.Headers.Add("RateLimit-Policy", "\"requests\";q=100;w=60");
            response.Headers.Add("RateLimit", $"\"requests\";r=0;t={(int)wait.TotalSeconds}");
        }

        return response;
    }
}
