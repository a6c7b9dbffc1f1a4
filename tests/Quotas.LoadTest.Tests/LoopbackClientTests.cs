using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Grains.Testing;
using Quotas.LoadTest.Load;
using Quotas.LoadTest.Load.Http;

namespace Quotas.LoadTest.Tests;

/// <summary>The generator's client against a real Kestrel server on loopback.</summary>
public sealed class LoopbackClientTests : IAsyncLifetime
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    private readonly TaskCompletionSource _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WebApplication _server = null!;
    private Uri _address = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        _server = builder.Build();
        // What arrived, so that the raw request can be compared with HttpClient's.
        _server.MapPost("/echo/{tenant}", async (HttpContext context, string tenant) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            return Results.Text($"{context.Request.Method} {context.Request.Path} {tenant} {context.Request.Headers.Authorization} "
                + $"{context.Request.ContentType} {context.Request.ContentLength} {body}");
        });
        // No Content-Length: Kestrel frames it in chunks.
        _server.MapPost("/chunked/{tenant}", async (HttpContext context) =>
        {
            context.Response.StatusCode = 429;
            await context.Response.WriteAsync("first part, ");
            await context.Response.Body.FlushAsync();
            await context.Response.WriteAsync(new string('x', 20_000));
        });
        // Answers once the test opens the gate: a backlog that outlives its step.
        _server.MapPost("/held/{tenant}", async () =>
        {
            await _held.Task;
            return Results.Ok();
        });
        // Never answers: the request waits until its connection closes.
        _server.MapPost("/silent/{tenant}", async (HttpContext context) => await Task.Delay(Timeout.Infinite, context.RequestAborted));
        _server.MapPost("/close/{tenant}", (HttpContext context) =>
        {
            context.Response.Headers.Connection = "close";
            return Results.Ok();
        });
        await _server.StartAsync();
        _address = new Uri(_server.Urls.Single());
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task The_raw_request_arrives_as_the_one_HttpClient_sends()
    {
        var plan = Plan("echo", tenants: 2);
        using var loopback = new LoopbackClient(plan.EndPoint, maxConnections: 1);
        using var http = new HttpClient();

        for (var tenant = 0; tenant < plan.Tenants; tenant++)
        {
            var body = new SingleResponse();
            loopback.Send(new PendingRequest(plan.RawRequest(tenant), body, tenant));
            using var request = plan.Create(tenant);
            using var response = await http.SendAsync(request);

            Assert.Equal(200, await body.Status.WaitAsync(s_timeout));
            Assert.Equal($"POST /echo/tenant-{tenant} tenant-{tenant} Bearer key-{tenant} application/json 10 {{\"cost\":1}}", await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task A_chunked_response_across_many_reads_is_read_to_its_end_and_the_connection_reused()
    {
        var plan = Plan("chunked", tenants: 1);
        using var client = new LoopbackClient(plan.EndPoint, maxConnections: 1);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(429, await SingleResponse.SendAsync(client, plan.RawRequest(0), s_timeout, CancellationToken.None));
        }

        Assert.Equal(1, client.OpenConnections);
    }

    [Fact]
    public async Task A_connection_idle_for_longer_than_servers_keep_one_is_replaced_not_reused()
    {
        var plan = Plan("echo", tenants: 1);
        var time = new ManualTimeProvider();
        using var client = new LoopbackClient(plan.EndPoint, maxConnections: 4, time);

        await SingleResponse.SendAsync(client, plan.RawRequest(0), s_timeout, CancellationToken.None);
        time.Advance(LoopbackClient.MaxIdle - TimeSpan.FromSeconds(1));
        await SingleResponse.SendAsync(client, plan.RawRequest(0), s_timeout, CancellationToken.None);
        Assert.Equal(1, client.OpenedConnections);

        time.Advance(LoopbackClient.MaxIdle);
        Assert.Equal(200, await SingleResponse.SendAsync(client, plan.RawRequest(0), s_timeout, CancellationToken.None));
        Assert.Equal(2, client.OpenedConnections);
        Assert.Equal(1, client.OpenConnections);
    }

    [Fact]
    public async Task A_connection_the_server_closes_is_replaced()
    {
        var plan = Plan("close", tenants: 1);
        using var client = new LoopbackClient(plan.EndPoint, maxConnections: 1);

        Assert.Equal(200, await SingleResponse.SendAsync(client, plan.RawRequest(0), s_timeout, CancellationToken.None));
        Assert.Equal(0, client.OpenConnections);
        Assert.Equal(200, await SingleResponse.SendAsync(client, plan.RawRequest(0), s_timeout, CancellationToken.None));
    }

    [Fact]
    public async Task Requests_beyond_the_connection_limit_wait_for_a_free_connection_and_all_are_answered()
    {
        const int Requests = 2_000;
        var plan = Plan("echo", tenants: 8);
        using var client = new LoopbackClient(plan.EndPoint, maxConnections: 4);
        var sink = new CountingSink(Requests);

        // From several threads at once, as the dispatcher and the completions do.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(thread => Task.Run(() =>
        {
            for (var i = thread; i < Requests; i += 4)
            {
                client.Send(new PendingRequest(plan.RawRequest(i % plan.Tenants), sink, i));
                Assert.InRange(client.OpenConnections, 0, 4);
            }
        })));
        await sink.AllDone.WaitAsync(s_timeout);

        Assert.Equal(Requests, sink.Ok);
        Assert.Equal(0, sink.Failures);
        Assert.InRange(client.OpenConnections, 1, 4);
    }

    [Fact]
    public async Task A_server_that_is_not_there_fails_each_request_with_the_reason()
    {
        var port = _address.Port;
        await _server.StopAsync();
        var plan = new RequestPlan([new Uri($"http://127.0.0.1:{port}/echo/t")], ["k"]);
        using var client = new LoopbackClient(plan.EndPoint, maxConnections: 2);

        var error = await Assert.ThrowsAsync<IOException>(() => SingleResponse.SendAsync(client, plan.RawRequest(0), s_timeout, CancellationToken.None));

        Assert.Contains($"connecting to 127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, client.OpenConnections);
    }

    [Fact]
    public async Task A_step_whose_requests_are_never_answered_counts_each_measured_one_as_an_error()
    {
        const int requests = 20;
        var plan = Plan("silent", tenants: 1);
        using var client = new LoopbackClient(plan.EndPoint, maxConnections: 2);
        // Ten warm-up requests go unanswered too: they are not measured, so not counted.
        var step = new OpenLoopStep(
            client, plan, new int[ZipfSequence.Length], rate: 200, TimeSpan.FromSeconds(10 / 200.0), TimeSpan.FromSeconds(requests / 200.0), maxOutstanding: 1_000, drainTimeout: TimeSpan.FromMilliseconds(500));

        var result = await step.RunAsync(CancellationToken.None).WaitAsync(s_timeout);

        Assert.Equal(requests, result.Errors);
        Assert.Equal(0, result.Ok + result.Refused);
        Assert.Contains($"{requests} requests still unanswered", result.FirstError, StringComparison.Ordinal);
    }

    /// <summary>
    /// A step whose drain timed out still has its requests in flight, and says so until the last is answered: what the
    /// search waits for before the next step, which would otherwise measure them too.
    /// </summary>
    [Fact]
    public async Task A_step_that_gave_up_on_its_requests_says_when_the_last_is_answered()
    {
        const int requests = 20;
        var plan = Plan("held", tenants: 1);
        using var client = new LoopbackClient(plan.EndPoint, maxConnections: 32);
        var step = new OpenLoopStep(
            client, plan, new int[ZipfSequence.Length], rate: 200, TimeSpan.Zero, TimeSpan.FromSeconds(requests / 200.0), maxOutstanding: 1_000, drainTimeout: TimeSpan.FromMilliseconds(200));

        var result = await step.RunAsync(CancellationToken.None).WaitAsync(s_timeout);
        Assert.Equal(requests, result.Errors);
        Assert.False(step.AllAnswered.IsCompleted);
        Assert.Equal(requests, step.Unanswered);

        _held.SetResult();
        await step.AllAnswered.WaitAsync(s_timeout);
        Assert.Equal(0, step.Unanswered);
        Assert.Equal(requests, step.Result().Errors); // answers after the drain gave up change the result no more
    }

    [Fact]
    public async Task Closing_the_client_fails_what_it_still_holds()
    {
        var plan = Plan("echo", tenants: 1);
        var client = new LoopbackClient(plan.EndPoint, maxConnections: 1);
        var first = new SingleResponse();
        client.Send(new PendingRequest(plan.RawRequest(0), first, 0));
        await first.Status.WaitAsync(s_timeout);

        client.Dispose();
        var late = new SingleResponse();
        client.Send(new PendingRequest(plan.RawRequest(0), late, 1));

        var error = await Assert.ThrowsAsync<IOException>(() => late.Status.WaitAsync(s_timeout));
        Assert.Equal("the client was closed", error.Message);
    }

    private RequestPlan Plan(string route, int tenants) => new(
        [.. Enumerable.Range(0, tenants).Select(tenant => new Uri(_address, $"/{route}/tenant-{tenant}"))],
        [.. Enumerable.Range(0, tenants).Select(tenant => $"key-{tenant}")]);

    private sealed class CountingSink(int expected) : IResponseSink
    {
        private readonly TaskCompletionSource _allDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _ok;
        private int _failures;
        private int _done;

        public Task AllDone => _allDone.Task;

        public int Ok => Volatile.Read(ref _ok);

        public int Failures => Volatile.Read(ref _failures);

        public void Completed(long token, int statusCode, bool rateLimited, long sent, long completed)
        {
            if (statusCode == (int)HttpStatusCode.OK && completed >= sent)
            {
                Interlocked.Increment(ref _ok);
            }

            Done();
        }

        public void Failed(long token, string error)
        {
            Interlocked.Increment(ref _failures);
            Done();
        }

        private void Done()
        {
            if (Interlocked.Increment(ref _done) == expected)
            {
                _allDone.TrySetResult();
            }
        }
    }
}
