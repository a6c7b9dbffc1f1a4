using Grains;
using Microsoft.AspNetCore.Http;
using Quotas.Gateway.Problems;

namespace Quotas.Gateway.Tests;

/// <summary>What a client is told when the cluster, not the request, is the trouble.</summary>
public sealed class ClusterFailureProblemTests
{
    public static TheoryData<Exception, int, string> Failures => new()
    {
        { new UnknownGrainMethodException("This silo has no method 1234ABCD on Quotas.Contracts.ITenantGrain."), 503, "another release" },
        { new SiloUnavailableException("No silo is active."), 503, "could not serve the request now" },
        { new GrainCallTimeoutException("The call did not complete within 00:00:30."), 504, "did not answer in time" },
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
}
