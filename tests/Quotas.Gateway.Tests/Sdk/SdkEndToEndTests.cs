using System.Net;
using Grains.Testing;
using Quotas.Client;

namespace Quotas.Gateway.Tests.Sdk;

/// <summary>The SDK against a running gateway and real silos: every group of calls, its errors, and its retry on 429.</summary>
public sealed class SdkEndToEndTests
{
    private static readonly QuotaSpec[] s_quotas =
    [
        new("cpu", QuotaKind.Gauge, 10),
        new("requests", QuotaKind.Rate, 2, WindowSeconds: 60, Buckets: 6),
        new("cost", QuotaKind.Budget, 100, Period: BudgetPeriod.Day),
        new("storage_bytes", QuotaKind.ReportedGauge, 1000),
    ];

    [Theory]
    [InlineData(Backend.EmbeddedSqlite)]
    [InlineData(Backend.PostgreSqlCluster)]
    public async Task Tenant_administration_keys_and_paging(Backend backend)
    {
        await using var server = await GatewayServer.StartAsync(backend);
        var admin = Sdk(server, GatewayServer.AdminKey);

        var created = await admin.Tenants.CreateAsync(new NewTenant("acme", "Acme", Tier.Premium, Quotas: s_quotas));
        Assert.Equal("Acme", created.Name);
        Assert.Equal(Tier.Premium, created.Tier);
        Assert.Contains(created.EffectiveQuotas, q => q is { Name: "requests", Kind: QuotaKind.Rate, Limit: 2, WindowSeconds: 60 });
        foreach (var id in new[] { "t-1", "t-2", "t-3", "t-4" })
        {
            await admin.Tenants.CreateAsync(new NewTenant(id));
        }

        var listed = new List<string>();
        await foreach (var tenant in admin.Tenants.ListAsync(pageSize: 2))
        {
            listed.Add(tenant.Id);
        }

        Assert.Equal(["acme", "t-1", "t-2", "t-3", "t-4"], listed);

        var updated = await admin.Tenants.UpdateQuotasAsync("acme", [new QuotaSpec("requests", QuotaKind.Rate, 5, WindowSeconds: 60)]);
        Assert.Contains(updated.EffectiveQuotas, q => q is { Name: "requests", Limit: 5 });

        var key = await admin.Tenants.IssueApiKeyAsync("acme");
        var tenantClient = Sdk(server, key.Key);
        Assert.Equal("acme", (await tenantClient.Tenants.GetAsync("acme")).Id);
        var hidden = await Assert.ThrowsAsync<QuotasApiException>(() => tenantClient.Tenants.GetAsync("t-1"));
        Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
        var forbidden = await Assert.ThrowsAsync<QuotasApiException>(() => tenantClient.Tenants.CreateAsync(new NewTenant("sneaky")));
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);

        Assert.Equal(TenantStatus.Suspended, (await admin.Tenants.SuspendAsync("acme")).Status);
        var suspended = await Assert.ThrowsAsync<QuotaExceededException>(() => tenantClient.Admission.HitAsync("acme", "requests"));
        Assert.Equal("tenant_suspended", suspended.Code);
        Assert.Equal(TenantStatus.Active, (await admin.Tenants.ActivateAsync("acme")).Status);

        await admin.Tenants.RevokeApiKeyAsync("acme", key.KeyId);
        var revoked = await Assert.ThrowsAsync<QuotasApiException>(() => tenantClient.Tenants.GetAsync("acme"));
        Assert.Equal(HttpStatusCode.Unauthorized, revoked.StatusCode);
        var keys = new List<ApiKeySummary>();
        await foreach (var listedKey in admin.Tenants.ListApiKeysAsync("acme", pageSize: 1))
        {
            keys.Add(listedKey);
        }

        Assert.Equal(key.KeyId, Assert.Single(keys).KeyId);
        Assert.NotNull(keys[0].RevokedAt);
        Assert.Equal(keys[0], await admin.Tenants.GetApiKeyAsync("acme", key.KeyId));

        await admin.Tenants.SuspendAsync("t-4");
        await admin.Tenants.DeleteAsync("t-4");
        var gone = await Assert.ThrowsAsync<QuotasApiException>(() => admin.Tenants.GetAsync("t-4"));
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.NotEmpty(await admin.ListSilosAsync().ToListAsync());
    }

    [Theory]
    [InlineData(Backend.EmbeddedSqlite)]
    [InlineData(Backend.PostgreSqlCluster)]
    public async Task Leases_rate_hits_usage_storage_and_limits(Backend backend)
    {
        // Manual time: the day's budget read after the usage would start again at midnight on the real clock.
        await using var server = await GatewayServer.StartAsync(backend, time: new ManualTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero)));
        var admin = Sdk(server, GatewayServer.AdminKey);
        await admin.Tenants.CreateAsync(new NewTenant("acme", Quotas: s_quotas));
        var sdk = Sdk(server, (await admin.Tenants.IssueApiKeyAsync("acme")).Key);

        var lease = await sdk.Admission.AcquireLeaseAsync("acme", "cpu", 8, TimeSpan.FromSeconds(30));
        Assert.Equal(2, lease.Remaining);
        var exhausted = await Assert.ThrowsAsync<QuotaExceededException>(() => sdk.Admission.AcquireLeaseAsync("acme", "cpu", 11, TimeSpan.FromSeconds(30)));
        Assert.Equal("request_exceeds_limit", exhausted.Code);
        Assert.Equal(10, exhausted.Problem.Limit);
        var renewed = await sdk.Admission.RenewLeaseAsync("acme", lease.LeaseId, TimeSpan.FromSeconds(60));
        Assert.True(renewed.ExpiresAt > lease.ExpiresAt);
        var held = new HeldLease(lease.LeaseId, "cpu", 8, renewed.ExpiresAt, HeldByService: false);
        Assert.Equal(held, await sdk.Admission.GetLeaseAsync("acme", lease.LeaseId));
        Assert.Equal([held], await sdk.Admission.ListLeasesAsync("acme").ToListAsync());
        await sdk.Admission.ReleaseLeaseAsync("acme", lease.LeaseId);
        var released = await Assert.ThrowsAsync<QuotasApiException>(() => sdk.Admission.GetLeaseAsync("acme", lease.LeaseId));
        Assert.Equal(HttpStatusCode.NotFound, released.StatusCode);
        Assert.Empty(await sdk.Admission.ListLeasesAsync("acme").ToListAsync());
        await sdk.Admission.ReleaseLeaseAsync("acme", lease.LeaseId);

        Assert.Equal(1, (await sdk.Admission.HitAsync("acme", "requests")).Remaining);
        Assert.Equal(0, (await sdk.Admission.HitAsync("acme", "requests")).Remaining);
        var limited = await Assert.ThrowsAsync<QuotaExceededException>(() => sdk.Admission.HitAsync("acme", "requests"));
        Assert.Equal("rate_limited", limited.Code);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.NotNull(limited.RetryAfter);
        Assert.Equal("requests", limited.RateLimit!.Policy);
        Assert.Equal(2, limited.RateLimit.Quota);
        Assert.Equal(TimeSpan.FromSeconds(60), limited.RateLimit.Window);
        Assert.Equal(0, limited.RateLimit.Remaining);
        Assert.Equal(limited.RetryAfter, limited.RateLimit.Reset);

        var first = await sdk.Admission.RecordUsageAsync("acme", "cost", 40, eventId: "evt-1");
        var again = await sdk.Admission.RecordUsageAsync("acme", "cost", 40, eventId: "evt-1");
        Assert.Equal(first, again);
        await sdk.Admission.RecordUsageAsync("acme", "cost", 5);

        // An event id is the API's (up to 200 characters), not a header's (up to 128).
        var longId = "order-" + new string('7', 144);
        Assert.Equal(
            await sdk.Admission.RecordUsageAsync("acme", "cost", 1, eventId: longId),
            await sdk.Admission.RecordUsageAsync("acme", "cost", 1, eventId: longId));
        var limits = await sdk.Usage.GetLimitsAsync("acme");
        Assert.Equal(46, limits.Limits.Single(l => l.Quota == "cost").Used);
        await sdk.Admission.CheckBudgetAsync("acme", "cost", 54);
        var tooMuch = await Assert.ThrowsAsync<QuotaExceededException>(() => sdk.Admission.CheckBudgetAsync("acme", "cost", 101));
        Assert.Equal("request_exceeds_limit", tooMuch.Code);

        await sdk.Admission.ReportGaugeAsync("acme", "storage_bytes", 900);
        await sdk.Admission.CheckStorageAsync("acme", "storage_bytes", 100);
        var full = await Assert.ThrowsAsync<QuotaExceededException>(() => sdk.Admission.CheckStorageAsync("acme", "storage_bytes", 101));
        Assert.Equal(HttpStatusCode.InsufficientStorage, full.StatusCode);

        var stats = await sdk.Usage.GetStatsAsync("acme");
        Assert.Equal(46, stats.Budgets.Single(b => b.Quota == "cost").Current);
        var alerts = new List<QuotaAlert>();
        await foreach (var alert in sdk.Usage.ListAlertsAsync("acme", pageSize: 1))
        {
            alerts.Add(alert);
        }

        Assert.Equal(alerts.OrderBy(a => a.Sequence).Select(a => a.Sequence), alerts.Select(a => a.Sequence));
        Assert.Contains(alerts, a => a.Quota == "storage_bytes");
    }

    [Theory]
    [InlineData(Backend.EmbeddedSqlite)]
    [InlineData(Backend.PostgreSqlCluster)]
    public async Task Usage_history_pricing_plans_and_statements(Backend backend)
    {
        var now = new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);
        var time = new ManualTimeProvider(now);
        await using var server = await GatewayServer.StartAsync(backend, time: time);
        var admin = Sdk(server, GatewayServer.AdminKey);
        await admin.Tenants.CreateAsync(new NewTenant("acme", Quotas: s_quotas));
        var sdk = Sdk(server, (await admin.Tenants.IssueApiKeyAsync("acme")).Key);
        await sdk.Admission.RecordUsageAsync("acme", "cost", 40, eventId: "evt-1");
        await sdk.Admission.RecordUsageAsync("acme", "cost", 40, eventId: "evt-1");

        var history = await sdk.Billing.GetUsageHistoryAsync("acme", RollupGranularity.Hour, now.AddHours(-2), now.AddHours(2), meter: "cost");
        Assert.Equal(RollupGranularity.Hour, history.Granularity);
        Assert.Equal(40, history.Buckets.Sum(b => b.Amount));
        Assert.Null((await sdk.Billing.GetPricingPlanAsync("acme")).Plan);

        var plan = new PricingPlan("standard", "USD", 20m, [new MeterPrice("cost", 0.25m, Included: 20)]);
        await Assert.ThrowsAsync<QuotasApiException>(() => sdk.Billing.SetPricingPlanAsync("acme", plan));
        Assert.Equal("USD", (await admin.Billing.SetPricingPlanAsync("acme", plan)).Plan!.Currency);
        var statement = await sdk.Billing.GetStatementAsync("acme", now.Year, now.Month);
        Assert.Equal(("standard", 25.00m), (statement.Plan, statement.Total)); // 20 + (40 - 20) × 0.25
        Assert.Equal(new StatementLine("cost", 40, 20, 20, 0.25m, 1, 5.00m, statement.Lines[0].ProjectedQuantity, statement.Lines[0].ProjectedAmount), Assert.Single(statement.Lines));

        var listed = new List<BillingStatement>();
        await foreach (var each in admin.Billing.ListStatementsAsync(now.Year, now.Month, pageSize: 1))
        {
            listed.Add(each);
        }

        Assert.Equal([("acme", 25.00m)], listed.Select(l => (l.TenantId, l.Total)));
        var bad = await Assert.ThrowsAsync<QuotasApiException>(() => admin.Billing.SetPricingPlanAsync("acme", plan with { Currency = "dollars" }));
        Assert.Equal("invalid_pricing_plan", bad.Code);
        await admin.Billing.RemovePricingPlanAsync("acme");
        Assert.Null((await sdk.Billing.GetPricingPlanAsync("acme")).Plan);

        // Usage sent late, with the time it happened, counts then; a time in a closed month, or before the tenant
        // existed, is refused.
        time.Advance(TimeSpan.FromHours(4));
        await sdk.Admission.RecordUsageAsync("acme", "cost", 2, eventId: "evt-2", occurredAt: now.AddHours(1));
        var earlier = await sdk.Billing.GetUsageHistoryAsync("acme", RollupGranularity.Hour, now.AddHours(1), now.AddHours(2), meter: "cost");
        Assert.Equal([new UsageBucket("cost", now.AddHours(1), 2)], earlier.Buckets);
        var beforeTenant = await Assert.ThrowsAsync<QuotasApiException>(() => sdk.Admission.RecordUsageAsync("acme", "cost", 2, eventId: "evt-4", occurredAt: now.AddHours(-3)));
        Assert.Equal("invalid_occurred_at", beforeTenant.Code);
        var closed = await Assert.ThrowsAsync<QuotasApiException>(() => sdk.Admission.RecordUsageAsync("acme", "cost", 2, eventId: "evt-3", occurredAt: now.AddMonths(-2)));
        Assert.Equal("invalid_occurred_at", closed.Code);
    }

    [Theory]
    [InlineData(Backend.EmbeddedSqlite)]
    [InlineData(Backend.PostgreSqlCluster)]
    public async Task Pools_jobs_and_the_worker_protocol(Backend backend)
    {
        await using var server = await GatewayServer.StartAsync(backend);
        var admin = Sdk(server, GatewayServer.AdminKey);
        await admin.Tenants.CreateAsync(new NewTenant("acme"));
        var sdk = Sdk(server, (await admin.Tenants.IssueApiKeyAsync("acme")).Key);

        var pool = await admin.Pools.CreateAsync(new Pool
        {
            Id = "batch",
            Capacity = new Dictionary<string, long> { ["cpu"] = 1000 },
            Tiers = [new TierShare("premium", 2, new Dictionary<string, long> { ["cpu"] = 800 })],
        });
        Assert.Equal(1000, pool.Capacity["cpu"]);
        Assert.Equal(new TierShare("premium", 2), Assert.Single(pool.Tiers!) with { BorrowingLimit = null });
        Assert.Equal(800, pool.Tiers![0].BorrowingLimit!["cpu"]);
        Assert.Equal(["batch"], (await admin.Pools.ListAsync().ToListAsync()).Select(p => p.Id));
        Assert.Equal(2000, (await admin.Pools.UpdateCapacityAsync("batch", new Dictionary<string, long> { ["cpu"] = 2000 })).Capacity["cpu"]);
        Assert.Equal(2000, (await admin.Pools.GetAsync("batch")).Capacity["cpu"]);

        var job = await sdk.Jobs.SubmitAsync("acme", "batch", new NewJob(new Dictionary<string, long> { ["cpu"] = 600 }, Priority: 1, EstimatedDuration: TimeSpan.FromMinutes(2)));
        var same = await sdk.Jobs.SubmitAsync("acme", "batch", new NewJob(new Dictionary<string, long> { ["cpu"] = 600 }, Priority: 1, EstimatedDuration: TimeSpan.FromMinutes(2)), idempotencyKey: job.IdempotencyKey);
        Assert.Equal(job.Id, same.Id);
        var other = await sdk.Jobs.SubmitAsync("acme", "batch", new NewJob(new Dictionary<string, long> { ["cpu"] = 100 }));
        Assert.NotEqual(job.Id, other.Id);
        Assert.Equal(JobState.Queued, (await sdk.Jobs.GetAsync("acme", "batch", job.Id)).State);
        var standing = await sdk.Jobs.GetPoolUsageAsync("acme", "batch");
        Assert.Equal(("acme", 2, 0, 1.0, "basic"), (standing.Tenant, standing.QueuedJobs, standing.LeasedJobs, standing.Weight, standing.Tier));
        Assert.Equal([job.Id, other.Id], (await admin.Pools.ListJobsAsync("batch", JobState.Queued, pageSize: 1).ToListAsync()).Select(j => j.Id));
        Assert.Empty(await admin.Pools.ListJobsAsync("batch", JobState.Leased).ToListAsync());
        var listedStanding = Assert.Single(await admin.Pools.ListTenantsAsync("batch").ToListAsync());
        Assert.Equal((standing.Tenant, standing.QueuedJobs, standing.Weight, standing.Tier), (listedStanding.Tenant, listedStanding.QueuedJobs, listedStanding.Weight, listedStanding.Tier));

        var listed = new List<long>();
        await foreach (var listedJob in sdk.Jobs.ListAsync("acme", "batch", pageSize: 1))
        {
            listed.Add(listedJob.Id);
        }

        Assert.Equal([job.Id, other.Id], listed.Order());
        Assert.Equal(JobState.Cancelled, (await sdk.Jobs.CancelAsync("acme", "batch", other.Id)).State);

        // The worker runs with a worker key of its pool, not the admin key.
        var workerKey = await admin.Pools.IssueWorkerKeyAsync("batch");
        Assert.Equal("batch", workerKey.PoolId);
        var worker = Sdk(server, workerKey.Key);
        var leases = await worker.Workers.LeaseJobsAsync("batch", "worker-1", new Dictionary<string, long> { ["cpu"] = 2000 }, TimeSpan.FromSeconds(30));
        Assert.Equal(job.Id, Assert.Single(leases).JobId);
        Assert.Equal([job.Id], (await worker.Workers.HeartbeatAsync("batch", "worker-1", [job.Id], TimeSpan.FromSeconds(30))).Renewed);
        var done = await worker.Workers.CompleteAsync("batch", job.Id, JobOutcome.Succeeded, new Dictionary<string, long> { ["cpu"] = 550 });
        var notAdmin = await Assert.ThrowsAsync<QuotasApiException>(() => worker.Pools.GetAsync("batch"));
        Assert.Equal(HttpStatusCode.Forbidden, notAdmin.StatusCode);
        await admin.Pools.RevokeWorkerKeyAsync("batch", workerKey.KeyId);
        var workerKeys = new List<WorkerKeySummary>();
        await foreach (var listedKey in admin.Pools.ListWorkerKeysAsync("batch"))
        {
            workerKeys.Add(listedKey);
        }

        Assert.Equal(workerKey.KeyId, Assert.Single(workerKeys).KeyId);
        Assert.False(workerKeys[0].Live);
        Assert.NotNull(workerKeys[0].RevokedAt);
        Assert.Equal(workerKeys[0], await admin.Pools.GetWorkerKeyAsync("batch", workerKey.KeyId));
        Assert.Equal(CompletionStatus.Completed, done.Status);
        Assert.Equal(JobState.Succeeded, (await sdk.Jobs.GetAsync("acme", "batch", job.Id)).State);

        var busy = await Assert.ThrowsAsync<QuotasApiException>(() => admin.Pools.CreateAsync(new Pool { Id = "batch", Capacity = new Dictionary<string, long> { ["cpu"] = 1 } }));
        Assert.Equal("pool_exists", busy.Code);
        await admin.Pools.DeleteAsync("batch", force: true);
        var missing = await Assert.ThrowsAsync<QuotasApiException>(() => admin.Pools.GetAsync("batch"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task A_refused_lease_is_retried_after_Retry_After_with_the_same_idempotency_key_and_then_granted()
    {
        var time = new RecordingTimeProvider();
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite, time: time.Clock);
        var admin = Sdk(server, GatewayServer.AdminKey);
        await admin.Tenants.CreateAsync(new NewTenant("acme", Quotas: [new QuotaSpec("cpu", QuotaKind.Gauge, 1)]));
        var handler = new RecordingHandler(new SocketsHttpHandler());
        var sdk = new QuotasClient(new HttpClient(handler), new QuotasClientOptions
        {
            BaseAddress = server.Address,
            ApiKey = (await admin.Tenants.IssueApiKeyAsync("acme")).Key,
            RetryBaseDelay = TimeSpan.FromMilliseconds(100),
            TimeProvider = time,
        });
        await sdk.Admission.AcquireLeaseAsync("acme", "cpu", 1, TimeSpan.FromSeconds(5));

        var second = sdk.Admission.AcquireLeaseAsync("acme", "cpu", 1, TimeSpan.FromSeconds(5));
        var delay = await time.NextDelayAsync();
        Assert.InRange(delay, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5.1));
        time.Clock.Advance(delay);
        var lease = await second;

        Assert.Equal(0, lease.Remaining);
        var attempts = handler.Attempts.Skip(1).ToList();
        Assert.Equal([HttpStatusCode.TooManyRequests, HttpStatusCode.Created], attempts.Select(a => a.Status));
        Assert.Equal(attempts[0].IdempotencyKey, attempts[1].IdempotencyKey);
        Assert.NotEqual(handler.Attempts[0].IdempotencyKey, attempts[0].IdempotencyKey);
    }

    private static QuotasClient Sdk(GatewayServer server, string key) =>
        new(new HttpClient(), new QuotasClientOptions { BaseAddress = server.Address, ApiKey = key });
}
