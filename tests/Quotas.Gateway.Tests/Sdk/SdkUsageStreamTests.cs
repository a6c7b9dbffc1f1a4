using System.Net;
using System.Text;
using Quotas.Client;

namespace Quotas.Gateway.Tests.Sdk;

/// <summary>The SDK's usage stream: against a running gateway, and its reconnection against scripted answers.</summary>
public sealed class SdkUsageStreamTests
{
    private static readonly QuotaSpec[] s_quotas = [new("storage_bytes", QuotaKind.ReportedGauge, 1000)];

    [Theory]
    [InlineData(Backend.EmbeddedSqlite)]
    [InlineData(Backend.PostgreSqlCluster)]
    public async Task The_stream_gives_the_usage_at_once_then_each_alert_and_the_usage_after_every_interval(Backend backend)
    {
        var gatewayTime = new RecordingTimeProvider();
        await using var server = await GatewayServer.StartAsync(backend, gatewayTime: gatewayTime);
        var admin = Sdk(server, GatewayServer.AdminKey);
        await admin.Tenants.CreateAsync(new NewTenant("acme", Quotas: s_quotas));
        var sdk = Sdk(server, (await admin.Tenants.IssueApiKeyAsync("acme")).Key);
        using var cancel = new CancellationTokenSource();
        await using var events = sdk.Usage.StreamAsync("acme", TimeSpan.FromSeconds(10), cancel.Token).GetAsyncEnumerator(cancel.Token);

        var first = Assert.IsType<UsageSnapshot>(await Next(events));
        Assert.Equal("acme", first.Stats.Tenant);
        Assert.Equal(0, first.Stats.Reported.Single().Current);

        await sdk.Admission.ReportGaugeAsync("acme", "storage_bytes", 960);
        Assert.Equal(TimeSpan.FromSeconds(10), await gatewayTime.NextDelayAsync());
        gatewayTime.Clock.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(80, Assert.IsType<UsageAlertRaised>(await Next(events)).Alert.ThresholdPercent);
        Assert.Equal(95, Assert.IsType<UsageAlertRaised>(await Next(events)).Alert.ThresholdPercent);
        Assert.Equal(960, Assert.IsType<UsageSnapshot>(await Next(events)).Stats.Reported.Single().Current);
        await cancel.CancelAsync();
    }

    [Fact]
    public async Task The_sdk_connects_again_after_an_end_a_lost_connection_or_a_busy_gateway_goes_on_after_the_last_alert_and_stops_on_a_4xx()
    {
        var time = new RecordingTimeProvider();
        var lastEventIds = new List<string?>();
        var handler = new RecordingHandler((attempt, request) =>
        {
            lastEventIds.Add(request.Headers.TryGetValues("Last-Event-ID", out var ids) ? ids.Single() : null);
            return attempt switch
            {
                // The gateway stops: its stream ends after two events.
                1 => Events(Alert(1, 80) + Usage(100, retryMilliseconds: 3000)),
                2 => Problem(HttpStatusCode.ServiceUnavailable, "too_many_streams"),
                3 => throw new HttpRequestException("Connection refused"),
                4 => Events(Error(HttpStatusCode.ServiceUnavailable, "unavailable")),
                5 => Events(Alert(2, 95) + Usage(200, retryMilliseconds: null)),
                _ => Events(Error(HttpStatusCode.NotFound, "not_found")),
            };
        });
        await using var events = ScriptedStream(handler, time);

        Assert.Equal(1, Assert.IsType<UsageAlertRaised>(await Next(events)).Alert.Sequence);
        Assert.Equal(100, Assert.IsType<UsageSnapshot>(await Next(events)).Stats.Reported.Single().Current);
        var reconnect = Next(events);
        var afterEnd = await time.NextDelayAsync();
        Assert.InRange(afterEnd, TimeSpan.FromSeconds(2.25), TimeSpan.FromSeconds(3.75));
        Assert.Single(lastEventIds);
        time.Clock.Advance(afterEnd);

        // A busy gateway, a lost connection and a transient error event each wait longer (twice, with jitter) and try again.
        var backoffs = new List<TimeSpan>();
        for (var failure = 1; failure <= 3; failure++)
        {
            backoffs.Add(await time.NextDelayAsync());
            time.Clock.Advance(backoffs[^1]);
        }

        Assert.Equal(2, Assert.IsType<UsageAlertRaised>(await reconnect).Alert.Sequence);
        Assert.Equal(200, Assert.IsType<UsageSnapshot>(await Next(events)).Stats.Reported.Single().Current);
        Assert.InRange(backoffs[0], TimeSpan.FromSeconds(2.25), TimeSpan.FromSeconds(3.75));
        Assert.InRange(backoffs[1], TimeSpan.FromSeconds(4.5), TimeSpan.FromSeconds(7.5));
        Assert.InRange(backoffs[2], TimeSpan.FromSeconds(9), TimeSpan.FromSeconds(15));

        var ended = Next(events);
        var afterSecondEnd = await time.NextDelayAsync();
        Assert.InRange(afterSecondEnd, TimeSpan.FromSeconds(2.25), TimeSpan.FromSeconds(3.75));
        time.Clock.Advance(afterSecondEnd);
        var error = await Assert.ThrowsAsync<QuotasApiException>(() => ended);
        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        Assert.Equal("not_found", error.Code);
        Assert.Equal([null, "1", "1", "1", "1", "2"], lastEventIds);
        Assert.All(handler.Attempts, a => Assert.Equal("/v1/tenants/acme/usage/events", a.Path));
    }

    [Fact]
    public async Task The_sdk_connects_again_after_a_proxy_answers_with_a_body_of_its_own_and_stops_on_a_server_error_waiting_cannot_mend()
    {
        var time = new RecordingTimeProvider();
        var handler = new RecordingHandler((attempt, _) => attempt switch
        {
            // A proxy in front of the gateway: a JSON body whose fields are not the problem's.
            1 => new HttpResponseMessage(HttpStatusCode.BadGateway)
            {
                Content = new StringContent("{\"status\":\"error\",\"limit\":null,\"current\":\"n/a\"}", Encoding.UTF8, "application/json"),
            },
            _ => Events(Error(HttpStatusCode.InternalServerError, "state_unreadable")),
        });
        await using var events = ScriptedStream(handler, time);

        var next = events.MoveNextAsync().AsTask();
        time.Clock.Advance(await time.NextDelayAsync());
        var error = await Assert.ThrowsAsync<QuotasApiException>(() => next.WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(HttpStatusCode.InternalServerError, error.StatusCode);
        Assert.Equal("state_unreadable", error.Code);
        Assert.Equal(2, handler.Attempts.Count);
    }

    [Fact]
    public async Task A_connection_that_goes_silent_is_dropped_after_two_intervals_and_five_seconds_and_one_that_breaks_is_replaced()
    {
        var time = new RecordingTimeProvider();
        var lastEventIds = new List<string?>();
        var silent = new ScriptedBody(Alert(1, 80) + Usage(100, retryMilliseconds: 3000), then: ScriptedBody.End.Hang);
        var handler = new RecordingHandler((attempt, request) =>
        {
            lastEventIds.Add(request.Headers.TryGetValues("Last-Event-ID", out var ids) ? ids.Single() : null);
            return attempt switch
            {
                // Headers and two events, then nothing more, as behind a proxy that holds the rest back.
                1 => Events(silent),
                2 => Events(new ScriptedBody(Alert(2, 95), then: ScriptedBody.End.Break)),
                _ => Events(Error(HttpStatusCode.NotFound, "not_found")),
            };
        });
        var sdk = new QuotasClient(new HttpClient(handler), new QuotasClientOptions
        {
            BaseAddress = new Uri("http://quotas.test"),
            ApiKey = "qk_0123456789abcdef_secret",
            TimeProvider = time,
        });
        await using var events = sdk.Usage.StreamAsync("acme").GetAsyncEnumerator();
        Assert.IsType<UsageAlertRaised>(await Next(events));
        Assert.IsType<UsageSnapshot>(await Next(events));

        // Silent since the last event: dropped 2 × 3 s + 5 s later, not before.
        var next = Next(events);
        await silent.Hanging.WaitAsync(TimeSpan.FromSeconds(30));
        time.Clock.Advance(TimeSpan.FromSeconds(11) - TimeSpan.FromMilliseconds(1));
        Assert.False(silent.HangingRead.IsCancellationRequested);
        time.Clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(silent.HangingRead.IsCancellationRequested);
        time.Clock.Advance(await time.NextDelayAsync());
        Assert.Equal(2, Assert.IsType<UsageAlertRaised>(await next).Alert.Sequence);

        // The second connection breaks after its event: connected again, after the last alert given.
        var ended = Next(events);
        time.Clock.Advance(await time.NextDelayAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await Assert.ThrowsAsync<QuotasApiException>(() => ended)).StatusCode);
        Assert.Equal([null, "1", "2"], lastEventIds);
    }

    /// <summary>
    /// A consumer that takes its time with an event (a minute here) keeps its connection: the silence the watchdog
    /// measures starts when the next event is asked for.
    /// </summary>
    [Fact]
    public async Task A_consumer_slow_with_an_event_keeps_its_connection()
    {
        var time = new RecordingTimeProvider();
        var body = new ScriptedBody(Alert(1, 80) + Usage(100, retryMilliseconds: null), then: ScriptedBody.End.Hang);
        var handler = new RecordingHandler((attempt, _) => attempt == 1 ? Events(body) : Events(Error(HttpStatusCode.NotFound, "not_found")));
        await using var events = ScriptedStream(handler, time);

        Assert.IsType<UsageAlertRaised>(await Next(events));
        time.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.IsType<UsageSnapshot>(await Next(events));
        time.Clock.Advance(TimeSpan.FromMinutes(1));
        var next = events.MoveNextAsync().AsTask();
        await body.Hanging.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.False(body.HangingRead.IsCancellationRequested);
        Assert.Single(handler.Attempts);

        // Silent from then on: dropped after 2 × 2 s + 5 s, as any connection (the next one ends the stream here).
        time.Clock.Advance(TimeSpan.FromSeconds(9));
        Assert.True(body.HangingRead.IsCancellationRequested);
        time.Clock.Advance(await time.NextDelayAsync());
        await Assert.ThrowsAsync<QuotasApiException>(() => next);
        Assert.Equal(2, handler.Attempts.Count);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(61)]
    [InlineData(1.5)]
    public void An_interval_the_gateway_would_refuse_is_refused_before_anything_is_sent(double seconds)
    {
        var handler = new RecordingHandler((_, _) => new HttpResponseMessage(HttpStatusCode.OK));
        var sdk = new QuotasClient(new HttpClient(handler), new QuotasClientOptions { BaseAddress = new Uri("http://quotas.test"), ApiKey = "qk_0123456789abcdef_secret" });

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => sdk.Usage.StreamAsync("acme", TimeSpan.FromSeconds(seconds)));
        Assert.Equal("interval", error.ParamName);
        Assert.Empty(handler.Attempts);
    }

    /// <summary>
    /// A gateway that refuses the stream for now with a Retry-After longer than the backoff is not asked again before it,
    /// also with the SDK's retries on (the default, <paramref name="maxRetries"/> 3): the stream connects again itself.
    /// Retried inside the connection attempt as well, the wait ran past the stream's idle watchdog (9 s at the default
    /// interval), which cut it short and connected again after its own backoff.
    /// </summary>
    [Theory]
    [InlineData(HttpStatusCode.ServiceUnavailable, 90, 0)]
    [InlineData(HttpStatusCode.TooManyRequests, 20, 3)]
    public async Task The_sdk_waits_for_a_refusals_Retry_After_before_it_connects_again(HttpStatusCode status, int retryAfterSeconds, int maxRetries)
    {
        var time = new RecordingTimeProvider();
        var handler = new RecordingHandler((attempt, _) => attempt switch
        {
            1 => WithRetryAfter(Problem(status, "too_many_streams"), TimeSpan.FromSeconds(retryAfterSeconds)),
            _ => Events(Usage(5, null)),
        });
        await using var events = ScriptedStream(handler, time, maxRetries);

        var next = events.MoveNextAsync().AsTask();
        var wait = await time.NextDelayAsync();
        time.Clock.Advance(wait);

        Assert.True(await next.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(TimeSpan.FromSeconds(retryAfterSeconds), wait);
        Assert.Equal(2, handler.Attempts.Count);
    }

    /// <summary>
    /// What the server asks the stream to wait is bounded: a refusal's Retry-After at 10 minutes (100 days threw out of
    /// the caller's loop), the stream's <c>retry:</c> interval at a minute (a day's left a dead connection unnoticed
    /// that long, and the reconnection after an end waited a day).
    /// </summary>
    [Fact]
    public async Task The_waits_a_server_asks_for_are_bounded()
    {
        var time = new RecordingTimeProvider();
        var handler = new RecordingHandler((attempt, _) => attempt switch
        {
            1 => WithRetryAfter(Problem(HttpStatusCode.ServiceUnavailable, "unavailable"), TimeSpan.FromDays(100)),
            2 => Events(Usage(5, retryMilliseconds: 86_400_000)),
            _ => Events(Usage(6, null)),
        });
        await using var events = ScriptedStream(handler, time);

        var first = events.MoveNextAsync().AsTask();
        var refusalWait = await time.NextDelayAsync();
        time.Clock.Advance(refusalWait);
        Assert.True(await first.WaitAsync(TimeSpan.FromSeconds(30)));
        var second = Next(events);
        var afterEnd = await time.NextDelayAsync();
        time.Clock.Advance(afterEnd);

        Assert.Equal(TimeSpan.FromMinutes(10), refusalWait);
        Assert.InRange(afterEnd, TimeSpan.FromSeconds(45), TimeSpan.FromSeconds(75));
        Assert.Equal(6, Assert.IsType<UsageSnapshot>(await second).Stats.Reported.Single().Current);
    }

    /// <summary>
    /// A success that is no event stream (a proxy's page, a login form) ends the stream with what answered: read as a
    /// stream without events, it was connected to again for ever while the caller's loop waited on nothing.
    /// </summary>
    [Fact]
    public async Task An_answer_that_is_no_event_stream_ends_the_stream_naming_what_answered()
    {
        var time = new RecordingTimeProvider();
        var handler = new RecordingHandler((_, _) => new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StringContent("<html>sign in</html>", Encoding.UTF8, "text/html"),
        });
        await using var events = ScriptedStream(handler, time);

        var error = await Assert.ThrowsAsync<QuotasApiException>(() => events.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Contains("answered 200 with text/html, not an event stream", error.Message, StringComparison.Ordinal);
        Assert.Single(handler.Attempts);
    }

    [Fact]
    public async Task An_error_event_without_a_status_ends_the_stream_as_a_server_error()
    {
        var time = new RecordingTimeProvider();
        var handler = new RecordingHandler((_, _) => Events("event: error\ndata: {\"code\":\"state_unreadable\",\"detail\":\"unreadable\"}\n\n"));
        await using var events = ScriptedStream(handler, time);

        var error = await Assert.ThrowsAsync<QuotasApiException>(() => events.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(HttpStatusCode.InternalServerError, error.StatusCode);
        Assert.StartsWith("500 state_unreadable", error.Message, StringComparison.Ordinal);
    }

    private static HttpResponseMessage WithRetryAfter(HttpResponseMessage response, TimeSpan wait)
    {
        response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(wait);
        return response;
    }

    /// <summary>A stream resumed after the last alert a caller handled asks only for the alerts after it, from its first connection.</summary>
    [Fact]
    public async Task A_resumed_stream_asks_for_the_alerts_after_the_one_given()
    {
        var lastEventIds = new List<string?>();
        var handler = new RecordingHandler((_, request) =>
        {
            lastEventIds.Add(request.Headers.TryGetValues("Last-Event-ID", out var ids) ? ids.Single() : null);
            return Events(Alert(42, 90) + Usage(5, null));
        });
        var client = new QuotasClient(new HttpClient(handler), new QuotasClientOptions
        {
            BaseAddress = new Uri("http://quotas.test"),
            ApiKey = "qk_0123456789abcdef_secret",
            TimeProvider = new RecordingTimeProvider(),
        });
        await using var events = client.Usage.ResumeStreamAsync("acme", afterAlert: 41).GetAsyncEnumerator();

        Assert.Equal(42, Assert.IsType<UsageAlertRaised>(await Next(events)).Alert.Sequence);
        Assert.Equal(["41"], lastEventIds);
        Assert.Throws<ArgumentOutOfRangeException>(() => client.Usage.ResumeStreamAsync("acme", afterAlert: -1));
    }

    /// <summary>acme's stream through an SDK on <paramref name="handler"/> and <paramref name="time"/>, whose calls are retried <paramref name="maxRetries"/> times.</summary>
    private static IAsyncEnumerator<UsageStreamEvent> ScriptedStream(RecordingHandler handler, TimeProvider time, int maxRetries = 0) =>
        new QuotasClient(new HttpClient(handler), new QuotasClientOptions
        {
            BaseAddress = new Uri("http://quotas.test"),
            ApiKey = "qk_0123456789abcdef_secret",
            TimeProvider = time,
            MaxRetries = maxRetries,
        }).Usage.StreamAsync("acme").GetAsyncEnumerator();

    private static async Task<UsageStreamEvent> Next(IAsyncEnumerator<UsageStreamEvent> events)
    {
        var next = events.MoveNextAsync().AsTask();
        Assert.True(await next.WaitAsync(TimeSpan.FromSeconds(30)), "The stream ended.");
        return events.Current;
    }

    private static HttpResponseMessage Events(string text) => new(HttpStatusCode.OK)
    {
        Content = new StringContent(text, Encoding.UTF8, "text/event-stream"),
    };

    private static HttpResponseMessage Events(ScriptedBody body) => new(HttpStatusCode.OK)
    {
        Content = new StreamContent(body) { Headers = { ContentType = new("text/event-stream") } },
    };

    private static HttpResponseMessage Problem(HttpStatusCode status, string code) => new(status)
    {
        Content = new StringContent($"{{\"status\":{(int)status},\"code\":\"{code}\"}}", Encoding.UTF8, "application/problem+json"),
    };

    private static string Error(HttpStatusCode status, string code) =>
        $"event: error\ndata: {{\"type\":\"https://quotas.dev/problems/x\",\"status\":{(int)status},\"code\":\"{code}\",\"detail\":\"{code}\"}}\n\n";

    private static string Alert(long sequence, int threshold) =>
        $"event: alert\nid: {sequence}\ndata: {{\"sequence\":{sequence},\"at\":\"2026-12-05T00:00:00Z\",\"kind\":\"reportedGauge\",\"quota\":\"storage_bytes\",\"thresholdPercent\":{threshold},\"usage\":900,\"limit\":1000}}\n\n";

    private static string Usage(long current, int? retryMilliseconds) =>
        "event: usage\n" + (retryMilliseconds is { } retry ? $"retry: {retry}\n" : "") +
        "data: {\"tenant\":\"acme\",\"status\":\"active\",\"at\":\"2026-12-05T00:00:00Z\",\"gauges\":[],\"rates\":[],\"budgets\":[]," +
        $"\"reported\":[{{\"quota\":\"storage_bytes\",\"current\":{current},\"limit\":1000,\"violations\":0}}],\"liveLeases\":0,\"peakRequestsPerMinuteLastHour\":0,\"totalViolations\":0}}\n\n";

    private static QuotasClient Sdk(GatewayServer server, string key) =>
        new(new HttpClient(), new QuotasClientOptions { BaseAddress = server.Address, ApiKey = key });
}
