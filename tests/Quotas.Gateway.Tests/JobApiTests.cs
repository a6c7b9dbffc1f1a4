using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;

namespace Quotas.Gateway.Tests;

public sealed class JobApiTests
{
    /// <summary>
    /// A delete whose first attempt timed out may still run when the caller retries it: the retry is told to wait, and
    /// the SDK (which retries a 409 with Retry-After) then finds the pool gone.
    /// </summary>
    [Fact]
    public async Task A_call_that_meets_a_delete_in_progress_is_told_to_retry_after_a_second()
    {
        await using var server = await GatewayServer.StartAsync(
            Backend.EmbeddedSqlite,
            wrapGrains: grains => new InterceptingGrains<Contracts.IFairShareSchedulerGrain>(grains, pool => global::Grains.Testing.ScriptedGrain.Create<Contracts.IFairShareSchedulerGrain>((method, args) =>
                method.Name == nameof(Contracts.IFairShareSchedulerGrain.Delete)
                    ? Task.FromException(new Core.Scheduling.SchedulingException(Core.Scheduling.SchedulingErrorCodes.PoolBeingDeleted, "Pool 'p' is already being deleted."))
                    : method.Invoke(pool, args))));
        using var admin = server.Admin();

        var response = await admin.DeleteAsync("/v1/pools/busy-pool");

        await response.Problem(409, "pool_being_deleted");
        Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task A_tenants_resource_weights_are_kept_with_the_pool_and_checked()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var admin = server.Admin();
        var created = await (await admin.PostJson("/v1/pools", """{"id":"gpu-pool","capacity":{"cpu":1000,"gpu":8},"tenants":[{"tenant":"acme","resourceWeights":{"gpu":2}}]}""")).Ok(201);
        Assert.Equal(2.0, (double)created["tenants"]![0]!["resourceWeights"]!["gpu"]!);
        var read = await (await admin.GetAsync("/v1/pools/gpu-pool")).Ok();
        Assert.Equal(created.ToJsonString(), read.ToJsonString());

        await (await admin.PostJson("/v1/pools", """{"id":"bad-pool","capacity":{"cpu":1},"tenants":[{"tenant":"acme","resourceWeights":{"gpu":2}}]}"""))
            .Problem(400, "invalid_pool_config");
    }

    [Fact]
    public async Task Cancelling_a_job_in_a_pool_that_keeps_no_finished_jobs_answers_it_cancelled()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var admin = server.Admin();
        using var tenant = server.Client(await admin.CreateTenantWithKey("acme"));
        await (await admin.PostJson("/v1/pools", """{"id":"forgetful","capacity":{"cpu":1000},"maxFinishedJobs":0}""")).Ok(201);
        var job = await (await tenant.PostJson("/v1/tenants/acme/pools/forgetful/jobs", """{"demand":{"cpu":600}}""", "once")).Ok(201);

        var cancelled = await (await tenant.DeleteAsync($"/v1/tenants/acme/pools/forgetful/jobs/{job["id"]}")).Ok();

        Assert.Equal((long)job["id"]!, (long)cancelled["id"]!);
        Assert.Equal("cancelled", (string?)cancelled["state"]);
        await (await tenant.GetAsync($"/v1/tenants/acme/pools/forgetful/jobs/{job["id"]}")).Problem(404);
    }

    /// <summary>
    /// A key reused with another demand answers one code whoever notices it: here the pool, as the gateway has no record
    /// of the key (its lifetime ran out, or its first request failed and freed it).
    /// </summary>
    [Fact]
    public async Task A_key_reused_with_another_demand_is_idempotency_key_mismatch_also_when_the_pool_notices_it()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var admin = server.Admin();
        using var tenant = server.Client(await admin.CreateTenantWithKey("acme"));
        await (await admin.PostJson("/v1/pools", """{"id":"gpu-pool","capacity":{"cpu":1000}}""")).Ok(201);
        var pool = server.Services.GetRequiredService<global::Grains.IGrainFactory>().GetGrain<Quotas.Contracts.IFairShareSchedulerGrain>("gpu-pool");
        await pool.Submit(new Quotas.Core.Scheduling.SubmitJobRequest(new Quotas.Core.Scheduling.TenantId("acme"), Quotas.Core.Scheduling.ResourceVector.Of(("cpu", 600)), 0, "nightly"));

        await (await tenant.PostJson("/v1/tenants/acme/pools/gpu-pool/jobs", """{"demand":{"cpu":700}}""", "nightly")).Problem(422, "idempotency_key_mismatch");
    }

    [Fact]
    public async Task A_pool_created_again_under_a_deleted_ones_id_does_not_replay_its_submissions()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var admin = server.Admin();
        using var tenant = server.Client(await admin.CreateTenantWithKey("acme"));
        const string pool = """{"id":"gpu-pool","capacity":{"cpu":1000}}""";
        const string submit = """{"demand":{"cpu":600}}""";
        await (await admin.PostJson("/v1/pools", pool)).Ok(201);
        var old = await (await tenant.PostJson("/v1/tenants/acme/pools/gpu-pool/jobs", submit, "nightly-build")).Ok(201);

        await (await admin.DeleteAsync("/v1/pools/gpu-pool?force=true")).Ok(204);
        await (await admin.PostJson("/v1/pools", pool)).Ok(201);
        var submitted = await tenant.PostJson("/v1/tenants/acme/pools/gpu-pool/jobs", submit, "nightly-build");

        // A new job in the new pool, not the deleted pool's job (which the new pool never had).
        var job = await submitted.Ok(201);
        Assert.False(submitted.Headers.Contains("Idempotent-Replayed"));
        Assert.NotEqual((long)old["id"]!, (long)job["id"]!);
        await (await tenant.GetAsync($"/v1/tenants/acme/pools/gpu-pool/jobs/{job["id"]}")).Ok();
    }

    [Theory]
    [InlineData(Backend.EmbeddedSqlite)]
    [InlineData(Backend.PostgreSqlCluster)]
    public async Task Jobs_are_submitted_once_per_key_leased_by_a_worker_heartbeaten_completed_listed_and_cancelled(Backend backend)
    {
        await using var server = await GatewayServer.StartAsync(backend);
        using var admin = server.Admin();
        using var tenant = server.Client(await admin.CreateTenantWithKey("acme"));
        var pool = await (await admin.PostJson("/v1/pools", """{"id":"gpu-pool","capacity":{"cpu":1000,"memory":4096}}""")).Ok(201);
        Assert.Equal("gpu-pool", (string?)pool["id"]);
        await (await admin.PostJson("/v1/pools", """{"id":"gpu-pool","capacity":{"cpu":1}}""")).Problem(409, "pool_exists");

        var first = await tenant.PostJson("/v1/tenants/acme/pools/gpu-pool/jobs", """{"demand":{"cpu":600},"priority":1}""", "submit-1");
        var job = await first.Ok(201);
        var replay = await (await tenant.PostJson("/v1/tenants/acme/pools/gpu-pool/jobs", """{"demand":{"cpu":600},"priority":1}""", "submit-1")).Ok(201);
        Assert.Equal((long)job["id"]!, (long)replay["id"]!);
        await (await tenant.PostJson("/v1/tenants/acme/pools/gpu-pool/jobs", """{"demand":{"cpu":700},"priority":1}""", "submit-1")).Problem(422);
        var second = await (await tenant.PostJson("/v1/tenants/acme/pools/gpu-pool/jobs", """{"demand":{"cpu":600}}""", "submit-2")).Ok(201);
        await (await tenant.PostJson("/v1/tenants/acme/pools/gpu-pool/jobs", """{"demand":{"cpu":5000}}""", "submit-3")).Problem(400, "demand_exceeds_capacity");
        await (await tenant.PostJson("/v1/tenants/acme/pools/no-pool/jobs", """{"demand":{"cpu":1}}""", "submit-4")).Problem(404, "unknown_pool");
        var longest = new string('k', 128);
        await (await tenant.PostJson("/v1/tenants/acme/pools/" + new string('p', 63) + "/jobs", """{"demand":{"cpu":1}}""", longest)).Problem(404, "unknown_pool");

        // An id no pool can have is refused before the submission's key is claimed: the claim stores the id, and on
        // PostgreSQL one this long failed the write (503, retried for ever) where a request without a key had 400.
        var random = new Random(42);
        var noPoolId = new string([.. Enumerable.Range(0, 6000).Select(_ => (char)('a' + random.Next(26)))]);
        await (await tenant.PostJson($"/v1/tenants/acme/pools/{noPoolId}/jobs", """{"demand":{"cpu":1}}""", "submit-5")).Problem(400, "invalid_argument");

        // A worker id that is not a host or pod name: it is kept on every job it leases, shown to tenants and logged.
        await (await admin.PostJson("/v1/pools/gpu-pool/workers/a%0Ab/leases", """{"freeCapacity":{"cpu":1000},"leaseTtlSeconds":30,"maxJobs":1}""")).Problem(400, "invalid_argument");

        // A worker lease longer than half a quota lease's longest (the pool holds the job's quota leases twice as long).
        var tooLong = await (await admin.PostJson("/v1/pools/gpu-pool/workers/w1/leases", """{"freeCapacity":{"cpu":1000,"memory":4096},"leaseTtlSeconds":400000,"maxJobs":5}""")).Problem(400, "invalid_argument");
        Assert.Contains("302400", (string?)tooLong["detail"], StringComparison.Ordinal);
        // Beyond a week, the same answer (not the week of other durations).
        var farTooLong = await (await admin.PostJson("/v1/pools/gpu-pool/workers/w1/leases", """{"freeCapacity":{"cpu":1000,"memory":4096},"leaseTtlSeconds":700000,"maxJobs":5}""")).Problem(400, "invalid_argument");
        Assert.Contains("302400", (string?)farTooLong["detail"], StringComparison.Ordinal);
        await (await admin.PostJson("/v1/pools/gpu-pool/workers/w1/leases", """{"freeCapacity":{"cpu":1000,"memory":4096},"leaseTtlSeconds":30,"maxJobs":1001}""")).Problem(400, "invalid_argument");
        var neverLeased = await (await admin.PostJson($"/v1/pools/gpu-pool/jobs/{job["id"]}/complete", """{"outcome":"succeeded","workerId":"w9"}""")).Ok();
        Assert.Equal("leaseLost", (string?)neverLeased["status"]);
        Assert.Equal("queued", (string?)neverLeased["job"]!["state"]);
        var leases = await (await admin.PostJson("/v1/pools/gpu-pool/workers/w1/leases", """{"freeCapacity":{"cpu":1000,"memory":4096},"leaseTtlSeconds":30,"maxJobs":5}""")).Ok();
        var leased = Assert.Single(leases.AsArray());
        Assert.Equal((long)job["id"]!, (long)leased!["jobId"]!);
        await (await admin.PostJson("/v1/pools/gpu-pool/workers/w1/heartbeat", $$"""{"jobIds":[{{job["id"]}}],"leaseTtlSeconds":400000}""")).Problem(400, "invalid_argument");
        var beat = await (await admin.PostJson("/v1/pools/gpu-pool/workers/w1/heartbeat", $$"""{"jobIds":[{{job["id"]}}],"leaseTtlSeconds":30}""")).Ok();
        Assert.Equal((long)job["id"]!, (long)beat["renewed"]![0]!);
        var stale = await (await admin.PostJson($"/v1/pools/gpu-pool/jobs/{job["id"]}/complete", """{"outcome":"preempted","workerId":"w2"}""")).Ok();
        Assert.Equal("leaseLost", (string?)stale["status"]);
        var done = await (await admin.PostJson($"/v1/pools/gpu-pool/jobs/{job["id"]}/complete", """{"outcome":"succeeded","actualUsage":{"cpu":550},"workerId":"w1"}""")).Ok();
        Assert.Equal("succeeded", (string?)done["job"]!["state"]);

        var cancelled = await (await tenant.DeleteAsync($"/v1/tenants/acme/pools/gpu-pool/jobs/{second["id"]}")).Ok();
        Assert.Equal("cancelled", (string?)cancelled["state"]);
        var read = await (await tenant.GetAsync($"/v1/tenants/acme/pools/gpu-pool/jobs/{job["id"]}")).Ok();
        Assert.Equal("succeeded", (string?)read["state"]);
        var list = await (await tenant.GetAsync("/v1/tenants/acme/pools/gpu-pool/jobs?limit=1")).Ok();
        Assert.Single(list["items"]!.AsArray());
        var next = (string)list["nextCursor"]!;
        var rest = await (await tenant.GetAsync($"/v1/tenants/acme/pools/gpu-pool/jobs?limit=1&cursor={Uri.EscapeDataString(next)}")).Ok();
        Assert.Equal((long)second["id"]!, (long)rest["items"]![0]!["id"]!);

        var resized = await (await admin.PutJson("/v1/pools/gpu-pool/capacity", """{"capacity":{"cpu":2000,"memory":4096}}""")).Ok();
        Assert.Equal(2000, (long)resized["capacity"]!["cpu"]!);
        Assert.Equal(2000, (long)(await (await admin.GetAsync("/v1/pools/gpu-pool")).Ok())["capacity"]!["cpu"]!);
        await (await admin.DeleteAsync("/v1/pools/gpu-pool")).Ok(204);
        await (await admin.GetAsync("/v1/pools/gpu-pool")).Problem(404);
    }

    [Theory]
    [InlineData(Backend.EmbeddedSqlite)]
    [InlineData(Backend.PostgreSqlCluster)]
    public async Task Tenants_a_pool_does_not_list_get_the_settings_of_their_tier(Backend backend)
    {
        await using var server = await GatewayServer.StartAsync(backend);
        using var admin = server.Admin();
        await (await admin.PostJson("/v1/tenants", """{"id":"globex","tier":"premium"}""")).Ok(201);
        using var acme = server.Client(await admin.CreateTenantWithKey("acme"));
        var globexKey = (string)(await (await admin.PostAsync("/v1/tenants/globex/api-keys", null)).Ok(201))["key"]!;
        using var globex = server.Client(globexKey);
        await (await admin.PostJson("/v1/pools", """{"id":"shared","capacity":{"cpu":4000}}""")).Ok(201);
        for (var i = 0; i < 8; i++)
        {
            await (await acme.PostJson("/v1/tenants/acme/pools/shared/jobs", """{"demand":{"cpu":500}}""", $"a-{i}")).Ok(201);
            await (await globex.PostJson("/v1/tenants/globex/pools/shared/jobs", """{"demand":{"cpu":500}}""", $"g-{i}")).Ok(201);
        }

        // Settings given after the jobs were queued apply to them: the pool learnt the tiers with the submissions.
        var pool = await (await admin.PutJson("/v1/pools/shared", """{"id":"shared","capacity":{"cpu":4000},"tiers":[{"tier":"premium","weight":3}]}""")).Ok();
        Assert.Equal(3, (double)pool["tiers"]![0]!["weight"]!);

        var leases = (await (await admin.PostJson("/v1/pools/shared/workers/w1/leases", """{"freeCapacity":{"cpu":4000},"leaseTtlSeconds":30,"maxJobs":8}""")).Ok()).AsArray();

        Assert.Equal(8, leases.Count);
        Assert.Equal(6, leases.Count(l => (string?)l!["tenant"] == "globex"));

        var premium = await (await globex.GetAsync("/v1/tenants/globex/pools/shared/usage")).Ok();
        Assert.Equal(("premium", 3.0, 6, 2, 3000), ((string?)premium["tier"], (double)premium["weight"]!, (int)premium["leasedJobs"]!, (int)premium["queuedJobs"]!, (long)premium["allocated"]!["cpu"]!));
        var basic = await (await acme.GetAsync("/v1/tenants/acme/pools/shared/usage")).Ok();
        Assert.Equal(("basic", 1.0, 2, 6), ((string?)basic["tier"], (double)basic["weight"]!, (int)basic["leasedJobs"]!, (int)basic["queuedJobs"]!));
        Assert.Equal((double)premium["weightedShare"]!, (double)basic["weightedShare"]!, 6);
        await (await acme.GetAsync("/v1/tenants/acme/pools/nowhere/usage")).Problem(404, "unknown_pool");

        var standings = await admin.GetAsync("/v1/pools/shared/tenants?limit=1");
        Assert.Equal("acme", (string?)(await standings.Ok())["items"]![0]!["tenant"]);
        Assert.Contains("cursor=acme", standings.Headers.GetValues("Link").Single(), StringComparison.Ordinal);
        var rest = await (await admin.GetAsync("/v1/pools/shared/tenants?limit=1&cursor=acme")).Ok();
        Assert.Equal(("globex", 3.0), ((string?)rest["items"]![0]!["tenant"], (double)rest["items"]![0]!["weight"]!));
        Assert.Null((string?)rest["nextCursor"]);
        await (await acme.GetAsync("/v1/pools/shared/tenants")).Problem(403);

        var running = await (await admin.GetAsync("/v1/pools/shared/jobs?state=leased&limit=5")).Ok();
        Assert.Equal(5, running["items"]!.AsArray().Count);
        Assert.All(running["items"]!.AsArray(), j => Assert.Equal("leased", (string?)j!["state"]));
        var waiting = await (await admin.GetAsync("/v1/pools/shared/jobs?state=Queued")).Ok();
        Assert.Equal((6, 2), (waiting["items"]!.AsArray().Count(j => (string?)j!["tenant"] == "acme"), waiting["items"]!.AsArray().Count(j => (string?)j!["tenant"] == "globex")));
        var badState = await (await admin.GetAsync("/v1/pools/shared/jobs?state=running")).Problem(400);
        Assert.Contains("use one of queued, leased", (string?)badState["detail"], StringComparison.Ordinal);
        await (await acme.GetAsync("/v1/pools/shared/jobs")).Problem(403);
        await (await admin.PostJson("/v1/pools", """{"id":"other","capacity":{"cpu":1},"tiers":[{"tier":"gold"}]}""")).Problem(400, "invalid_pool_config");
        await (await admin.PostJson("/v1/pools", """{"id":"other","capacity":{"cpu":1},"tiers":[{"tier":"basic"}],"listedTenantsOnly":true}""")).Problem(400, "invalid_pool_config");
    }

    [Theory]
    [InlineData(Backend.EmbeddedSqlite)]
    [InlineData(Backend.PostgreSqlCluster)]
    public async Task Pools_are_listed_by_id_a_page_at_a_time_and_a_deleted_one_leaves_the_list(Backend backend)
    {
        await using var server = await GatewayServer.StartAsync(backend);
        using var admin = server.Admin();
        foreach (var id in new[] { "pool-c", "pool-a", "pool-b" })
        {
            await (await admin.PostJson("/v1/pools", """{"id":"ID","capacity":{"cpu":1000}}""".Replace("ID", id, StringComparison.Ordinal))).Ok(201);
        }

        await (await admin.PostJson("/v1/pools", """{"id":"pool-d","capacity":{"cpu":0}}""")).Problem(400, "invalid_pool_config");
        await (await admin.DeleteAsync("/v1/pools/pool-b")).Ok(204);

        var first = await admin.GetAsync("/v1/pools?limit=1");
        Assert.Equal("pool-a", (string?)(await first.Ok())["items"]![0]!["id"]);
        Assert.Contains("cursor=pool-a", first.Headers.GetValues("Link").Single(), StringComparison.Ordinal);
        var all = await (await admin.GetAsync("/v1/pools")).Ok();
        Assert.Equal(["pool-a", "pool-c"], all["items"]!.AsArray().Select(p => (string?)p!["id"]));
        Assert.Equal(1000, (long)all["items"]![1]!["capacity"]!["cpu"]!);

        // The cursor parameter binds whatever its case, and its link replaces it whatever its case: following the link
        // moves on (it kept both, bound them as "pool-a,pool-c", and answered the same page again).
        var capitalised = await admin.GetAsync("/v1/pools?limit=1&Cursor=pool-0");
        Assert.Equal("pool-a", (string?)(await capitalised.Ok())["items"]![0]!["id"]);
        var link = capitalised.Headers.GetValues("Link").Single();
        var next = await admin.GetAsync(link[1..link.IndexOf('>', StringComparison.Ordinal)]);
        Assert.Equal("pool-c", (string?)(await next.Ok())["items"]![0]!["id"]);
    }

    [Theory]
    [InlineData(Backend.EmbeddedSqlite)]
    [InlineData(Backend.PostgreSqlCluster)]
    public async Task Guarantees_above_the_capacity_are_refused_on_create_update_and_resize_and_change_nothing(Backend backend)
    {
        await using var server = await GatewayServer.StartAsync(backend);
        using var admin = server.Admin();
        const string tenants = """[{"tenant":"a","guaranteed":{"cpu":600}},{"tenant":"b","guaranteed":{"cpu":500}}]""";

        var created = await (await admin.PostJson("/v1/pools", $$"""{"id":"p","capacity":{"cpu":1000},"tenants":{{tenants}}}""")).Problem(400, "invalid_pool_config");
        Assert.Contains("add up to 1100 of 'cpu', more than the pool's capacity of 1000", (string?)created["detail"], StringComparison.Ordinal);
        await (await admin.GetAsync("/v1/pools/p")).Problem(404);

        await (await admin.PostJson("/v1/pools", $$"""{"id":"p","capacity":{"cpu":1100},"tenants":{{tenants}}}""")).Ok(201);
        await (await admin.PutJson("/v1/pools/p/capacity", """{"capacity":{"cpu":1099}}""")).Problem(400, "invalid_pool_config");
        await (await admin.PutJson("/v1/pools/p", """{"id":"p","capacity":{"cpu":1100},"tenants":[{"tenant":"a","guaranteed":{"cpu":601}},{"tenant":"b","guaranteed":{"cpu":500}}]}""")).Problem(400, "invalid_pool_config");

        var pool = await (await admin.GetAsync("/v1/pools/p")).Ok();
        Assert.Equal(1100, (long)pool["capacity"]!["cpu"]!);
        Assert.Equal(600, (long)pool["tenants"]![0]!["guaranteed"]!["cpu"]!);
    }

    [Theory]
    [InlineData(Backend.EmbeddedSqlite)]
    [InlineData(Backend.PostgreSqlCluster)]
    public async Task A_full_queue_is_a_quota_exceeded_problem_naming_the_queue_limit(Backend backend)
    {
        await using var server = await GatewayServer.StartAsync(backend);
        using var admin = server.Admin();
        using var tenant = server.Client(await admin.CreateTenantWithKey("acme"));
        await (await admin.PostJson("/v1/pools", """{"id":"small","capacity":{"cpu":1000},"maxQueuedJobsPerTenant":1}""")).Ok(201);
        await (await tenant.PostJson("/v1/tenants/acme/pools/small/jobs", """{"demand":{"cpu":100}}""", "job-1")).Ok(201);

        var full = await tenant.PostJson("/v1/tenants/acme/pools/small/jobs", """{"demand":{"cpu":100}}""", "job-2");

        await AssertQueueFullAsync(full, "tenant_queue_full", "maxQueuedJobsPerTenant", current: 1, limit: 1);
    }

    [Fact]
    public async Task A_full_pool_queue_names_the_pool_limit_with_the_jobs_queued_across_tenants()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var admin = server.Admin();
        using var acme = server.Client(await admin.CreateTenantWithKey("acme"));
        using var globex = server.Client(await admin.CreateTenantWithKey("globex"));
        await (await admin.PostJson("/v1/pools", """{"id":"small","capacity":{"cpu":1000},"maxQueuedJobsPerPool":2}""")).Ok(201);
        await (await acme.PostJson("/v1/tenants/acme/pools/small/jobs", """{"demand":{"cpu":100}}""", "job-1")).Ok(201);
        await (await globex.PostJson("/v1/tenants/globex/pools/small/jobs", """{"demand":{"cpu":100}}""", "job-1")).Ok(201);

        var full = await acme.PostJson("/v1/tenants/acme/pools/small/jobs", """{"demand":{"cpu":100}}""", "job-2");

        await AssertQueueFullAsync(full, "pool_queue_full", "maxQueuedJobsPerPool", current: 2, limit: 2);
    }

    /// <summary>A full queue is answered as a refused quota: the draft's problem type, the policy, the counts, Retry-After.</summary>
    private static async Task AssertQueueFullAsync(HttpResponseMessage full, string code, string policy, long current, long limit)
    {
        var problem = await full.Problem(429, code);
        Assert.Equal("https://iana.org/assignments/http-problem-types#quota-exceeded", (string?)problem["type"]);
        Assert.Equal(policy, (string?)problem["quota"]);
        Assert.Equal(policy, (string?)Assert.Single(problem["violated-policies"]!.AsArray()));
        Assert.Equal((current, limit), ((long)problem["current"]!, (long)problem["limit"]!));
        Assert.Equal("1", full.Headers.RetryAfter!.ToString());
    }

    [Theory]
    [InlineData(Backend.EmbeddedSqlite)]
    [InlineData(Backend.PostgreSqlCluster)]
    public async Task A_pool_for_listed_tenants_only_refuses_an_unlisted_tenant_with_403_and_admits_a_listed_one(Backend backend)
    {
        await using var server = await GatewayServer.StartAsync(backend);
        using var admin = server.Admin();
        using var listed = server.Client(await admin.CreateTenantWithKey("acme"));
        using var unlisted = server.Client(await admin.CreateTenantWithKey("initech"));
        var created = await (await admin.PostJson("/v1/pools",
            """{"id":"private","capacity":{"cpu":1000},"tenants":[{"tenant":"acme","weight":2}],"listedTenantsOnly":true}""")).Ok(201);
        Assert.True((bool)created["listedTenantsOnly"]!);
        Assert.True((bool)(await (await admin.GetAsync("/v1/pools/private")).Ok())["listedTenantsOnly"]!);

        var refused = await unlisted.PostJson("/v1/tenants/initech/pools/private/jobs", """{"demand":{"cpu":100}}""", "job-1");

        var problem = await refused.Problem(403, "tenant_not_in_pool");
        Assert.Equal("https://quotas.dev/problems/forbidden", (string?)problem["type"]);
        var detail = (string)problem["detail"]!;
        Assert.Contains("ask an administrator to add the tenant", detail, StringComparison.Ordinal);
        Assert.DoesNotContain("acme", detail, StringComparison.Ordinal);
        await (await listed.PostJson("/v1/tenants/acme/pools/private/jobs", """{"demand":{"cpu":100}}""", "job-1")).Ok(201);

        // Nor does its standing in the pool tell the refused tenant what the pool offers.
        var standing = await (await unlisted.GetAsync("/v1/tenants/initech/pools/private/usage")).Problem(403, "tenant_not_in_pool");
        Assert.DoesNotContain("cpu", standing.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(1, (int)(await (await listed.GetAsync("/v1/tenants/acme/pools/private/usage")).Ok())["queuedJobs"]!);
    }

    [Fact]
    public async Task A_pool_created_without_the_setting_admits_any_tenant_and_says_so()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var admin = server.Admin();
        using var tenant = server.Client(await admin.CreateTenantWithKey("acme"));
        await (await admin.PostJson("/v1/pools", """{"id":"open","capacity":{"cpu":1000}}""")).Ok(201);

        var pool = await (await admin.GetAsync("/v1/pools/open")).Ok();

        Assert.False((bool)pool["listedTenantsOnly"]!);
        await (await tenant.PostJson("/v1/tenants/acme/pools/open/jobs", """{"demand":{"cpu":100}}""", "job-1")).Ok(201);
    }

    [Fact]
    public async Task The_cluster_route_lists_the_silos_with_status_and_the_activations_of_their_last_heartbeat()
    {
        await using var server = await GatewayServer.StartAsync(Backend.PostgreSqlCluster);
        var admin = server.Admin();
        for (var i = 0; i < 20; i++)
        {
            await (await admin.PostJson("/v1/tenants", $$"""{"id":"heartbeat-{{i}}","tier":"basic"}""")).Ok(201);
        }

        // The gateway is a cluster client: it knows other processes' counts only from their heartbeats (every 5 s), so
        // it waits for a heartbeat that saw every tenant activated.
        var expected = server.Cluster.Silos.Sum(s => s.Silo.ActivationCount);
        JsonArray silos;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        do
        {
            silos = (await (await admin.GetAsync("/v1/cluster/silos", deadline.Token)).Ok())["items"]!.AsArray();
        }
        while (silos.Sum(s => (int?)s!["activations"] ?? 0) < expected && await NextPollAsync(deadline.Token));

        Assert.Equal(server.Cluster.Silos.Select(s => s.Silo.Cluster!.Address.ToString()).Order(StringComparer.Ordinal), silos.Select(s => (string)s!["address"]!));
        Assert.All(silos, s => Assert.Equal("Active", (string?)s!["status"]));
        Assert.Equal(expected, silos.Sum(s => (int)s!["activations"]!));
    }

    /// <summary>Waits a little before the next poll; false once the deadline passed.</summary>
    private static async Task<bool> NextPollAsync(CancellationToken deadline)
    {
        try
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), deadline);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
