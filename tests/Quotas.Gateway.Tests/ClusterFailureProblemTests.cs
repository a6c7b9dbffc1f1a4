using Grains;
using Grains.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Quotas.Gateway.Problems;

namespace Quotas.Gateway.Tests;

/// <summary>What a client is told when the cluster, not the request, is the trouble.</summary>
public sealed class ClusterFailureProblemTests
{
    public static TheoryData<Exception, int, string> Failures => new()
    {
        { new UnknownGrainMethodException("This silo has no method 1234ABCD on Quotas.Contracts.ITenantGrain."), 503, "another release" },
        { new SiloUnavailableException("No silo is active."), 503, "could not serve the request now" },
        { new GrainOverloadedException("Grain tenant/acme has 10000 calls waiting."), 503, "more requests for this resource waiting than it queues" },
        { new GrainCallTimeoutException("The call did not complete within 00:00:30."), 504, "did not answer in time" },
        { new TimeoutException("The operation has timed out."), 504, "did not answer in time" }, // a pool's wait for a tenant
        { new GrainActivationTimeoutException("Grain tenant/acme did not finish activating within 00:00:30."), 503, "the request did not run" },
        { new InvalidOperationException("A bug."), 500, "the trace id identifies the failure" },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void A_cluster_failure_is_a_server_side_problem_that_says_whether_to_retry(Exception failure, int status, string explanation)
    {
        var context = new DefaultHttpContext();
        context.Request.Path = "/v1/tenants/acme/limits";

        var problem = ExceptionProblems.Map(context, failure);

        Assert.Equal(status, problem.Status);
        Assert.Contains(explanation, problem.Detail);
        Assert.Equal("/v1/tenants/acme/limits", problem.Instance);
        Assert.DoesNotContain(failure.Message, problem.Detail);
    }

    [Fact]
    public async Task A_server_failure_is_logged_with_the_trace_id_its_answer_carries()
    {
        using var logs = new InMemoryLoggerProvider(LogLevel.Warning);
        var (handler, written) = Handler(logs);
        var context = new DefaultHttpContext { TraceIdentifier = "0HNTEST:00000007" };
        context.Request.Method = "POST";
        context.Request.Path = "/v1/tenants/acme/usage";

        Assert.True(await handler.TryHandleAsync(context, new InvalidOperationException("A bug."), CancellationToken.None));

        var problem = Assert.Single(written.Problems);
        Assert.Equal(500, context.Response.StatusCode);
        Assert.Equal("0HNTEST:00000007", problem.Extensions["traceId"]);
        var entry = Assert.Single(logs.Entries);
        Assert.Equal(LogLevel.Error, entry.Level);
        Assert.Equal("POST /v1/tenants/acme/usage failed with 500, trace id 0HNTEST:00000007", entry.Message);
        Assert.IsType<InvalidOperationException>(entry.Exception);
    }

    /// <summary>What may pass says when to try again: an unavailable cluster and a timeout alike; a fault does not.</summary>
    [Theory]
    [InlineData(503, "1")]
    [InlineData(504, "1")]
    [InlineData(500, null)]
    public async Task A_failure_worth_retrying_says_when(int status, string? retryAfter)
    {
        using var logs = new InMemoryLoggerProvider(LogLevel.Warning);
        var (handler, _) = Handler(logs);
        var context = new DefaultHttpContext();
        var failure = Failures.Select(row => (Exception)row[0]).First(e => ExceptionProblems.Map(new DefaultHttpContext(), e).Status == status);

        Assert.True(await handler.TryHandleAsync(context, failure, CancellationToken.None));

        Assert.Equal(status, context.Response.StatusCode);
        Assert.Equal(retryAfter, context.Response.Headers.RetryAfter.FirstOrDefault());
    }

    /// <summary>An overloaded grain refuses calls by the thousand; the silo logs its queue filling, the gateway each refusal at most as a 503.</summary>
    [Fact]
    public async Task An_overloaded_grain_s_refusal_says_when_to_retry_without_an_error_log()
    {
        using var logs = new InMemoryLoggerProvider(LogLevel.Warning);
        var (handler, written) = Handler(logs);
        var context = new DefaultHttpContext();

        Assert.True(await handler.TryHandleAsync(context, new GrainOverloadedException("Grain tenant/acme has 10000 calls waiting."), CancellationToken.None));

        Assert.Equal(503, context.Response.StatusCode);
        Assert.Equal("1", context.Response.Headers.RetryAfter.FirstOrDefault());
        Assert.Equal("overloaded", Assert.Single(written.Problems).Extensions["code"]);
        Assert.Empty(logs.Entries);
    }

    [Fact]
    public async Task A_client_error_is_answered_without_an_error_log()
    {
        using var logs = new InMemoryLoggerProvider(LogLevel.Debug);
        var (handler, written) = Handler(logs);
        var context = new DefaultHttpContext();

        Assert.True(await handler.TryHandleAsync(context, new BadHttpRequestException("Bad body."), CancellationToken.None));

        Assert.Equal(400, context.Response.StatusCode);
        Assert.Single(written.Problems);
        Assert.Empty(logs.Entries);
    }

    /// <summary>The exception handler, logging to <paramref name="logs"/> and keeping the problems it writes.</summary>
    private static (ExceptionProblems Handler, WrittenProblems Written) Handler(ILoggerProvider logs)
    {
        var written = new WrittenProblems();
        var logger = new Logger<ExceptionProblems>(new LoggerFactory([logs]));
        return (new ExceptionProblems(written, logger), written);
    }

    /// <summary>Keeps what the handler asked to write instead of serializing it.</summary>
    private sealed class WrittenProblems : IProblemDetailsService
    {
        public List<Microsoft.AspNetCore.Mvc.ProblemDetails> Problems { get; } = [];

        public ValueTask WriteAsync(ProblemDetailsContext context)
        {
            Problems.Add(context.ProblemDetails);
            return ValueTask.CompletedTask;
        }

        public ValueTask<bool> TryWriteAsync(ProblemDetailsContext context)
        {
            Problems.Add(context.ProblemDetails);
            return ValueTask.FromResult(true);
        }
    }
}
