using Grains.Testing;
using Quotas.Client;
using Quotas.Core.Billing;
using Quotas.Grains.Tenants;

namespace Quotas.Gateway.Tests;

/// <summary>Usage history, pricing plans and monthly statements over HTTP.</summary>
public sealed class BillingApiTests
{
    private const string Budgets = """[{"name":"cpu_ms","kind":"budget","limit":-1,"period":"month"},{"name":"jobs","kind":"budget","limit":100000,"period":"day"}]""";

    private const string Plan = """{"name":"standard","currency":"EUR","monthlyFee":49.00,"prices":[{"meter":"cpu_ms","unitPrice":0.02,"included":1000000,"perUnits":1000},{"meter":"jobs","unitPrice":0.005}]}""";

    [Theory]
    [InlineData(Backend.EmbeddedSqlite)]
    [InlineData(Backend.PostgreSqlCluster)]
    public async Task Recorded_usage_shows_in_the_history_once_and_is_priced_in_the_months_statement(Backend backend)
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
        await using var server = await GatewayServer.StartAsync(backend, time: time);
        using var admin = server.Admin();
        using var tenant = server.Client(await admin.CreateTenantWithKey("acme", Budgets));
        time.Advance(TimeSpan.FromDays(4.5)); // the tenant, created on 1 December, has lived the 4.5 days gone of the month
        const string month = "2026-12";
        await (await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"cpu_ms","amount":3500000}""", "evt-1")).Ok(201);
        await (await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"cpu_ms","amount":3500000}""", "evt-1")).Ok(201); // a retry
        await (await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"jobs","amount":1001,"eventId":"evt-2"}""")).Ok(201);

        var hours = await (await tenant.GetAsync("/v1/tenants/acme/usage/history?granularity=hour")).Ok();
        Assert.Equal("hour", (string?)hours["granularity"]);
        Assert.Equal(3_500_000, Sum(hours, "cpu_ms"));
        Assert.Equal(1001, Sum(hours, "jobs"));
        var cpuOnly = await (await tenant.GetAsync("/v1/tenants/acme/usage/history?granularity=month&meter=cpu_ms")).Ok();
        Assert.Equal(["cpu_ms"], cpuOnly["buckets"]!.AsArray().Select(b => (string)b!["meter"]!).Distinct());

        var unpriced = await (await tenant.GetAsync($"/v1/tenants/acme/statements/{month}")).Ok();
        Assert.Null(unpriced["plan"]);
        Assert.Equal(0m, (decimal)unpriced["total"]!);
        Assert.Equal(3_500_000, (long)Line(unpriced, "cpu_ms")["quantity"]!);

        await (await tenant.PutJson("/v1/tenants/acme/pricing-plan", Plan)).Problem(403, "forbidden");
        var set = await (await admin.PutJson("/v1/tenants/acme/pricing-plan", Plan)).Ok();
        Assert.Equal("EUR", (string?)set["plan"]!["currency"]);
        Assert.Equal("standard", (string?)(await (await tenant.GetAsync("/v1/tenants/acme/pricing-plan")).Ok())["plan"]!["name"]);

        var statement = await (await tenant.GetAsync($"/v1/tenants/acme/statements/{month}")).Ok();
        Assert.Equal(("standard", "EUR", false), ((string?)statement["plan"], (string?)statement["currency"], (bool)statement["closed"]!));
        Assert.Equal(50.00m, (decimal)Line(statement, "cpu_ms")["amount"]!); // 2.5 million beyond the million included, 0.02 per thousand
        Assert.Equal(5.01m, (decimal)Line(statement, "jobs")["amount"]!);
        Assert.Equal(104.01m, (decimal)statement["total"]!);
        // 4.5 of December's 31 days are gone: 24,111,111 ms of CPU projected (0.02 per thousand beyond the million) and
        // 6,896 jobs (0.005 each), with the fee: 49 + 462.22 + 34.48.
        Assert.Equal(545.70m, (decimal)statement["projectedTotal"]!);

        await (await admin.DeleteAsync("/v1/tenants/acme/pricing-plan")).Ok(204);
        Assert.Null((await (await tenant.GetAsync("/v1/tenants/acme/pricing-plan")).Ok())["plan"]);
        Assert.Equal(0m, (decimal)(await (await tenant.GetAsync($"/v1/tenants/acme/statements/{month}")).Ok())["total"]!);
    }

    [Fact]
    public async Task A_closed_month_keeps_its_plan_and_figures_when_the_plan_changes_after_it()
    {
        await using var billed = await PricedAsync(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
        var (time, admin, tenant) = (billed.Time, billed.Admin, billed.Tenant);
        time.Advance(TimeSpan.FromDays(10));
        await (await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"jobs","amount":1000,"eventId":"nov-1"}""")).Ok(201);

        // 10 days of 30 gone, all the tenant's: the projection is the usage so far times 3.
        var running = await (await tenant.GetAsync("/v1/tenants/acme/statements/2026-11")).Ok();
        Assert.Equal((3000L, 15.00m), ((long)Line(running, "jobs")["projectedQuantity"]!, (decimal)Line(running, "jobs")["projectedAmount"]!));

        time.Advance(TimeSpan.FromDays(20).Add(Statements.ClosingGrace)); // 1 December, November closed
        await (await admin.PutJson("/v1/tenants/acme/pricing-plan", Plan.Replace("0.005", "0.001"))).Ok();
        await (await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"jobs","amount":1000,"eventId":"dec-1"}""")).Ok(201);

        var november = await (await tenant.GetAsync("/v1/tenants/acme/statements/2026-11")).Ok();
        var december = await (await tenant.GetAsync("/v1/tenants/acme/statements/2026-12")).Ok();
        Assert.True((bool)november["closed"]!);
        Assert.Null(november["projectedTotal"]);
        Assert.Equal((1000L, 5.00m, 54.00m), ((long)Line(november, "jobs")["quantity"]!, (decimal)Line(november, "jobs")["amount"]!, (decimal)november["total"]!));
        Assert.Equal((1000L, 1.00m), ((long)Line(december, "jobs")["quantity"]!, (decimal)Line(december, "jobs")["amount"]!));
        var months = await (await tenant.GetAsync("/v1/tenants/acme/usage/history?granularity=month")).Ok();
        Assert.Equal(
            (new DateTimeOffset(2025, 12, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2025, 12, 1, 0, 0, 0, TimeSpan.Zero)),
            ((DateTimeOffset)months["from"]!, (DateTimeOffset)months["to"]!, (DateTimeOffset)months["keptFrom"]!)); // 13 months kept; December's ends the range
        Assert.Equal([1000L, 1000L], months["buckets"]!.AsArray().Select(b => (long)b!["amount"]!));
        var days = await (await tenant.GetAsync("/v1/tenants/acme/usage/history?from=2026-11-01T00:00:00Z&to=2026-12-02T00:00:00Z")).Ok();
        Assert.Equal(
            ["2026-11-11T00:00:00+00:00=1000", "2026-12-01T00:00:00+00:00=1000"],
            days["buckets"]!.AsArray().Select(b => $"{(DateTimeOffset)b!["start"]!:yyyy-MM-ddTHH:mm:sszzz}={(long)b["amount"]!}"));
    }

    [Theory]
    [InlineData("/v1/tenants/acme/statements/2026-13", "invalid_period", "give it as yyyy-MM")]
    [InlineData("/v1/tenants/acme/statements/1999-12", "invalid_period", "give a year from 2000 and a month from 1 to 12")]
    [InlineData("/v1/tenants/acme/statements/december", "invalid_period", "give it as yyyy-MM")]
    [InlineData("/v1/tenants/acme/statements/2099-01", "invalid_period", "has not started yet")]
    [InlineData("/v1/tenants/acme/usage/history?granularity=week", "invalid_period", "use hour, day or month")]
    [InlineData("/v1/tenants/acme/usage/history?from=yesterday", "invalid_period", "is not an ISO 8601 time")]
    [InlineData("/v1/tenants/acme/usage/history?from=12/01/2026", "invalid_period", "is not an ISO 8601 time")]
    [InlineData("/v1/tenants/acme/usage/history?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z", "invalid_period", "must be before to")]
    [InlineData("/v1/tenants/acme/usage/history?meter=CPU", "invalid_quota_name", "use 1 to 63 characters")]
    public async Task A_period_or_meter_that_cannot_be_read_answers_400_with_what_to_send(string path, string code, string advice)
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var tenant = server.Client(await server.Admin().CreateTenantWithKey("acme", Budgets));

        var problem = await (await tenant.GetAsync(path)).Problem(400, code);

        Assert.Contains(advice, (string?)problem["detail"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"name":"x","currency":"eur","monthlyFee":1,"prices":[]}""", "invalid_pricing_plan")]
    [InlineData("""{"name":"x","currency":"EUR","monthlyFee":1,"prices":[{"meter":"jobs","unitPrice":-1}]}""", "invalid_pricing_plan")]
    [InlineData("""{"name":"x","currency":"EUR","monthlyFee":1,"prices":[{"meter":"gpu_hours","unitPrice":1}]}""", "invalid_pricing_plan")]
    [InlineData("""{"name":"x","currency":"EUR","monthlyFee":1.005,"prices":[]}""", "invalid_pricing_plan")]
    [InlineData("""{"name":"x","currency":"EUR","monthlyFee":1,"prices":[],"discount":5}""", null)]
    [InlineData("""{"name":"x","currency":"EUR","monthlyFee":"lots","prices":[]}""", null)]
    public async Task A_pricing_plan_that_cannot_price_is_refused_and_the_plan_in_force_stays(string body, string? code)
    {
        await using var billed = await PricedAsync(new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero));
        var (admin, tenant) = (billed.Admin, billed.Tenant);

        await (await admin.PutJson("/v1/tenants/acme/pricing-plan", body)).Problem(400, code);

        Assert.Equal("standard", (string?)(await (await tenant.GetAsync("/v1/tenants/acme/pricing-plan")).Ok())["plan"]!["name"]);
        await (await admin.PutJson("/v1/tenants/no-such-tenant/pricing-plan", Plan)).Problem(404);
    }

    [Fact]
    public async Task A_deleted_tenants_last_months_can_still_be_stated_with_the_admin_key_only_and_a_tenant_created_again_starts_afresh()
    {
        await using var billed = await PricedAsync(new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero));
        var (time, admin, tenant) = (billed.Time, billed.Admin, billed.Tenant);
        await (await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"jobs","amount":1000,"eventId":"e1"}""")).Ok(201);
        await (await admin.PostEmpty("/v1/tenants/acme/suspend")).Ok();
        await (await admin.DeleteAsync("/v1/tenants/acme")).Ok(204);

        var statement = await (await admin.GetAsync("/v1/tenants/acme/statements/2026-12")).Ok();
        Assert.Equal(("standard", 54.00m), ((string?)statement["plan"], (decimal)statement["total"]!));
        Assert.Equal(1000, Sum(await (await admin.GetAsync("/v1/tenants/acme/usage/history")).Ok(), "jobs"));
        Assert.Equal("standard", (string?)(await (await admin.GetAsync("/v1/tenants/acme/pricing-plan")).Ok())["plan"]!["name"]);
        await (await admin.PutJson("/v1/tenants/acme/pricing-plan", Plan)).Problem(404);
        time.Advance(TimeSpan.FromDays(30)); // 4 January 2027
        await (await admin.GetAsync("/v1/tenants/acme/statements/2027-01")).Problem(400, "deleted_before_period");
        var closed = await (await admin.GetAsync("/v1/tenants/acme/statements/2026-12")).Ok();
        Assert.Equal((true, 54.00m), ((bool)closed["closed"]!, (decimal)closed["total"]!));

        using var recreated = billed.Server.Client(await admin.CreateTenantWithKey("acme", Budgets));
        var afresh = await (await admin.GetAsync("/v1/tenants/acme/statements/2027-01")).Ok();
        Assert.Null(afresh["plan"]);
        Assert.Empty(afresh["lines"]!.AsArray());

        // The deleted tenant's closed December stays the admin's to read: the key of whoever holds the id now reads it
        // as any month before its tenant was created, empty.
        Assert.Equal(54.00m, (decimal)(await (await admin.GetAsync("/v1/tenants/acme/statements/2026-12")).Ok())["total"]!);
        var own = await (await recreated.GetAsync("/v1/tenants/acme/statements/2026-12")).Ok();
        Assert.Equal((null, 0m), ((string?)own["plan"], (decimal)own["total"]!));
        Assert.Empty(own["lines"]!.AsArray());
    }

    /// <summary>
    /// A tenant created again just after a month's end (its statement still open for a few minutes) cannot date usage
    /// in that month: the month is the deleted tenant's, whose statement the admin reads, and usage the new one
    /// counted there reached no statement an admin reads.
    /// </summary>
    [Fact]
    public async Task A_tenant_created_again_cannot_date_usage_in_a_month_that_had_ended_before_it()
    {
        await using var billed = await PricedAsync(new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero));
        var (time, admin, tenant) = (billed.Time, billed.Admin, billed.Tenant);
        await (await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"jobs","amount":1000,"eventId":"e1"}""")).Ok(201);
        await (await admin.PostEmpty("/v1/tenants/acme/suspend")).Ok();
        await (await admin.DeleteAsync("/v1/tenants/acme")).Ok(204);
        time.Advance(TimeSpan.FromHours(12) + TimeSpan.FromMinutes(2)); // 1 December, 00:02: November's statement is open
        using var recreated = billed.Server.Client(await admin.CreateTenantWithKey("acme", Budgets));

        var refused = await (await recreated.PostJson("/v1/tenants/acme/usage", """{"quota":"jobs","amount":5,"eventId":"late-1","occurredAt":"2026-11-30T23:58:00Z"}""")).Problem(400, "invalid_occurred_at");
        await (await recreated.PostJson("/v1/tenants/acme/usage", """{"quota":"jobs","amount":5,"eventId":"own-1","occurredAt":"2026-12-01T00:01:00Z"}""")).Ok(201);

        Assert.Contains("is in 2026-11, which had ended when tenant 'acme' was created again", (string?)refused["detail"], StringComparison.Ordinal);
        Assert.Contains("Date usage from 2026-12-01T00:00:00.0000000+00:00 on", (string?)refused["detail"], StringComparison.Ordinal);
        Assert.Equal(1000, (long)Line(await (await admin.GetAsync("/v1/tenants/acme/statements/2026-11")).Ok(), "jobs")["quantity"]!);
        Assert.Equal(5, (long)Line(await (await admin.GetAsync("/v1/tenants/acme/statements/2026-12")).Ok(), "jobs")["quantity"]!);
    }

    [Fact]
    public async Task A_pool_jobs_charges_are_metered_and_priced_with_its_cpu_in_started_seconds()
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero));
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite, time: time);
        using var admin = server.Admin();
        using var tenant = server.Client(await admin.CreateTenantWithKey(
            "acme", """[{"name":"jobs","kind":"budget","limit":-1,"period":"month"},{"name":"cpu_seconds","kind":"budget","limit":-1,"period":"month"}]"""));
        await (await admin.PutJson("/v1/tenants/acme/pricing-plan", """{"name":"jobs-and-cpu","currency":"EUR","monthlyFee":0,"prices":[{"meter":"jobs","unitPrice":0.10},{"meter":"cpu_seconds","unitPrice":0.04,"perUnits":3600}]}""")).Ok();
        await (await admin.PostJson("/v1/pools", """{"id":"batch","capacity":{"workers":4}}""")).Ok(201);
        var job = await (await tenant.PostJson("/v1/tenants/acme/pools/batch/jobs", """{"demand":{"workers":1}}""", "job-1")).Ok(201);
        Assert.Single((await (await admin.PostJson("/v1/pools/batch/workers/w1/leases", """{"freeCapacity":{"workers":4},"leaseTtlSeconds":30}""")).Ok()).AsArray());

        await (await admin.PostJson($"/v1/pools/batch/jobs/{job["id"]}/complete", """{"outcome":"succeeded","actualUsage":{"cpu_ms":7200001},"workerId":"w1"}""")).Ok();

        var statement = await (await tenant.GetAsync("/v1/tenants/acme/statements/2026-12")).Ok();
        Assert.Equal((1L, 0.10m), ((long)Line(statement, "jobs")["quantity"]!, (decimal)Line(statement, "jobs")["amount"]!));
        Assert.Equal((7201L, 0.08m), ((long)Line(statement, "cpu_seconds")["quantity"]!, (decimal)Line(statement, "cpu_seconds")["amount"]!)); // 7,200,001 ms: 7,201 started seconds
        Assert.Equal(0.18m, (decimal)statement["total"]!);
    }

    [Fact]
    public async Task Every_tenants_statement_of_a_month_is_listed_by_id_in_pages_with_the_admin_key_only()
    {
        await using var billed = await PricedAsync(new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero));
        var (admin, acme) = (billed.Admin, billed.Tenant);
        await admin.CreateTenantWithKey("beta", Budgets);
        await admin.CreateTenantWithKey("gamma", Budgets);
        await (await acme.PostJson("/v1/tenants/acme/usage", """{"quota":"jobs","amount":1000,"eventId":"e1"}""")).Ok(201);

        // Deleted during the month: it still owes the month, and is listed among the others.
        using (var carol = billed.Server.Client(await admin.CreateTenantWithKey("carol", Budgets)))
        {
            await (await carol.PostJson("/v1/tenants/carol/usage", """{"quota":"jobs","amount":5,"eventId":"e1"}""")).Ok(201);
        }

        await (await admin.PostEmpty("/v1/tenants/carol/suspend")).Ok();
        await (await admin.DeleteAsync("/v1/tenants/carol")).Ok(204);

        var first = await admin.GetAsync("/v1/statements/2026-12?limit=2");
        var page = await first.Ok();
        var rest = await (await admin.GetAsync($"/v1/statements/2026-12?limit=2&cursor={page["nextCursor"]}")).Ok();

        Assert.Equal("</v1/statements/2026-12?limit=2&cursor=beta>; rel=\"next\"", first.Headers.GetValues("Link").Single());
        Assert.Equal(["acme", "beta"], page["items"]!.AsArray().Select(i => (string)i!["tenantId"]!));
        Assert.Equal(54.00m, (decimal)page["items"]![0]!["total"]!);
        Assert.Equal(["carol", "gamma"], rest["items"]!.AsArray().Select(i => (string)i!["tenantId"]!));
        Assert.Equal(5, (long)Line(rest["items"]![0]!, "jobs")["quantity"]!);
        await (await acme.GetAsync("/v1/statements/2026-12")).Problem(403, "forbidden");
        await (await admin.GetAsync("/v1/statements/2026-13")).Problem(400, "invalid_period");
        await (await admin.GetAsync("/v1/statements/2027-01?cursor=gamma")).Problem(400, "invalid_period"); // not started, and no tenant after gamma
        await (await admin.GetAsync("/v1/statements/2025-11?cursor=gamma")).Problem(400, "invalid_period"); // older than the 13 months kept

        // For billing systems that import files: the page as CSV, a row per line and per fee; a plan's name quoted.
        await (await admin.PutJson("/v1/tenants/beta/pricing-plan", """{"name":"tiered, \"gold\"","currency":"JPY","monthlyFee":1000,"prices":[]}""")).Ok();
        using var csvRequest = new HttpRequestMessage(HttpMethod.Get, "/v1/statements/2026-12?limit=2");
        csvRequest.Headers.Accept.ParseAdd("text/csv");
        using var csv = await admin.SendAsync(csvRequest);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        Assert.Equal("utf-8", csv.Content.Headers.ContentType?.CharSet);
        Assert.Equal("</v1/statements/2026-12?limit=2&cursor=beta>; rel=\"next\"", csv.Headers.GetValues("Link").Single());
        Assert.Equal(
            "tenant_id,period_start,closed,plan,currency,meter,quantity,included,billable,unit_price,per_units,amount\r\n"
            + "acme,2026-12-01,false,standard,EUR,monthly_fee,1,0,1,49.00,1,49.00\r\n"
            + "acme,2026-12-01,false,standard,EUR,cpu_ms,0,1000000,0,0.02,1000,0.00\r\n"
            + "acme,2026-12-01,false,standard,EUR,jobs,1000,0,1000,0.005,1,5.00\r\n"
            + "beta,2026-12-01,false,\"tiered, \"\"gold\"\"\",JPY,monthly_fee,1,0,1,1000,1,1000\r\n",
            await csv.Content.ReadAsStringAsync());
        Assert.Contains("Accept", csv.Headers.Vary);

        // A plan's name a spreadsheet would run as a formula is written as text; JSON preferred by its q is JSON.
        await (await admin.PutJson("/v1/tenants/beta/pricing-plan", """{"name":"=HYPERLINK(1)","currency":"JPY","monthlyFee":1000,"prices":[]}""")).Ok();
        using var formulaRequest = new HttpRequestMessage(HttpMethod.Get, "/v1/statements/2026-12?limit=2");
        formulaRequest.Headers.Accept.ParseAdd("text/csv");
        using var formula = await admin.SendAsync(formulaRequest);
        Assert.Contains("beta,2026-12-01,false,'=HYPERLINK(1),JPY,monthly_fee,", await formula.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Also after a semicolon, which spreadsheets of some locales split fields on.
        await (await admin.PutJson("/v1/tenants/beta/pricing-plan", """{"name":"std;=1+cmd|' /C calc'!A0;@x;plain","currency":"JPY","monthlyFee":1000,"prices":[]}""")).Ok();
        using var semicolonRequest = new HttpRequestMessage(HttpMethod.Get, "/v1/statements/2026-12?limit=2");
        semicolonRequest.Headers.Accept.ParseAdd("text/csv");
        using var semicolon = await admin.SendAsync(semicolonRequest);
        Assert.Contains("beta,2026-12-01,false,std;'=1+cmd|' /C calc'!A0;'@x;plain,JPY,monthly_fee,", await semicolon.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // And behind quotes or spaces, which a lenient reader drops before it looks at a cell.
        await (await admin.PutJson("/v1/tenants/beta/pricing-plan", """{"name":"a;\"=1+2\"; -3","currency":"JPY","monthlyFee":1000,"prices":[]}""")).Ok();
        using var quotedRequest = new HttpRequestMessage(HttpMethod.Get, "/v1/statements/2026-12?limit=2");
        quotedRequest.Headers.Accept.ParseAdd("text/csv");
        using var quoted = await admin.SendAsync(quotedRequest);
        Assert.Contains("beta,2026-12-01,false,\"a;'\"\"=1+2\"\";' -3\",JPY,monthly_fee,", await quoted.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var preferJson = new HttpRequestMessage(HttpMethod.Get, "/v1/statements/2026-12?limit=2");
        preferJson.Headers.Accept.ParseAdd("application/json");
        preferJson.Headers.Accept.ParseAdd("text/csv;q=0.1");
        using var json = await admin.SendAsync(preferJson);
        Assert.Equal("application/json", json.Content.Headers.ContentType?.MediaType);

        // Created again in the month, carol is listed once, with the month's usage of both tenants of the id; her own
        // key reads her own usage alone.
        using var carolAgain = billed.Server.Client(await admin.CreateTenantWithKey("carol", Budgets));
        await (await carolAgain.PostJson("/v1/tenants/carol/usage", """{"quota":"jobs","amount":2,"eventId":"e2"}""")).Ok(201);
        var again = await (await admin.GetAsync($"/v1/statements/2026-12?cursor={page["nextCursor"]}")).Ok();
        Assert.Equal(["carol", "gamma"], again["items"]!.AsArray().Select(i => (string)i!["tenantId"]!));
        Assert.Equal(7, (long)Line(again["items"]![0]!, "jobs")["quantity"]!);
        Assert.Equal(2, (long)Line(await (await carolAgain.GetAsync("/v1/tenants/carol/statements/2026-12")).Ok(), "jobs")["quantity"]!);
    }

    /// <summary>
    /// One tenant's stored row is damaged behind the service's back. The month's statements fail, naming it, without
    /// inviting a retry that cannot help; asked for a partial answer, they list every other tenant and name it (in the
    /// JSON; their number in the header, which CSV gets too; in the SDK's exception at the list's end).
    /// </summary>
    [Theory]
    [InlineData(Backend.EmbeddedSqlite)]
    [InlineData(Backend.PostgreSqlCluster)]
    public async Task A_tenant_whose_stored_state_no_longer_reads_fails_the_statements_unless_a_partial_answer_is_asked_for(Backend backend)
    {
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero));
        await using var server = await GatewayServer.StartAsync(backend, time: time);
        using var admin = server.Admin();
        foreach (var id in new[] { "alpha", "broken", "gamma" })
        {
            await admin.CreateTenantWithKey(id, Budgets);
            await (await admin.PostJson($"/v1/tenants/{id}/usage", """{"quota":"jobs","amount":7,"eventId":"e1"}""")).Ok(201);
        }

        var damaged = await server.Cluster.Options.Storage.ExecuteAsync(
            "UPDATE grains_storage SET payload = 'not json' WHERE service_id = @service AND grain_type = @type AND grain_key = 'broken'",
            ("service", server.Cluster.Options.ServiceId), ("type", TenantGrain.GrainTypeName));
        Assert.Equal(1, damaged);
        foreach (var silo in server.Cluster.Silos)
        {
            await silo.Silo.CollectIdleActivationsAsync(TimeSpan.Zero); // the next call reads the row again
        }

        var failed = await admin.GetAsync("/v1/statements/2026-12");
        Assert.Contains("tenant 'broken'", (string?)(await failed.Problem(500, "state_unreadable"))["detail"], StringComparison.Ordinal);
        Assert.Null(failed.Headers.RetryAfter);
        var own = await admin.GetAsync("/v1/tenants/broken/statements/2026-12");
        await own.Problem(500, "state_unreadable");
        Assert.Null(own.Headers.RetryAfter);

        var partial = await admin.GetAsync("/v1/statements/2026-12?returnPartialSuccess=true");
        var page = await partial.Ok();
        Assert.Equal(["alpha", "gamma"], page["items"]!.AsArray().Select(i => (string)i!["tenantId"]!));
        Assert.Equal("broken", (string?)Assert.Single(page["unreadable"]!.AsArray())!["tenantId"]);
        Assert.Equal("1", partial.Headers.GetValues("Unreadable-Tenants").Single());

        using var csvRequest = new HttpRequestMessage(HttpMethod.Get, "/v1/statements/2026-12?returnPartialSuccess=true");
        csvRequest.Headers.Accept.ParseAdd("text/csv");
        using var csv = await admin.SendAsync(csvRequest);
        Assert.Equal("1", csv.Headers.GetValues("Unreadable-Tenants").Single());
        Assert.Equal(["alpha", "gamma"], (await csv.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(row => row.Split(',')[0]));

        var sdk = new QuotasClient(new HttpClient(), new QuotasClientOptions { BaseAddress = server.Address, ApiKey = GatewayServer.AdminKey });
        var listed = new List<string>();
        var incomplete = await Assert.ThrowsAsync<StatementsIncompleteException>(async () =>
        {
            await foreach (var statement in sdk.Billing.ListStatementsAsync(2026, 12, pageSize: 1))
            {
                listed.Add(statement.TenantId);
            }
        });
        Assert.Equal(["alpha", "gamma"], listed);
        Assert.Equal("broken", Assert.Single(incomplete.Tenants).TenantId);
    }

    /// <summary>
    /// Usage sent late with the time it happened counts then, in the history and in that month's statement, until five
    /// minutes after the month's end; after that, or for a time ahead of the clock, it is refused and counts nothing,
    /// and sent without a time it counts now.
    /// </summary>
    [Fact]
    public async Task Usage_sent_with_the_time_it_happened_counts_then_while_that_months_statement_is_open()
    {
        await using var billed = await PricedAsync(new DateTimeOffset(2026, 11, 30, 23, 58, 0, TimeSpan.Zero));
        var (time, tenant) = (billed.Time, billed.Tenant);
        time.Advance(TimeSpan.FromMinutes(4)); // 1 December, 00:02: November's statement is open for three more minutes
        await (await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"jobs","amount":100,"eventId":"late-1","occurredAt":"2026-11-30T23:59:00Z"}""")).Ok(201);
        await (await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"jobs","amount":7,"eventId":"now-1"}""")).Ok(201);

        // A retry that writes the same instant with another offset is the same request; another instant is not.
        using (var retry = await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"jobs","amount":100,"eventId":"late-1","occurredAt":"2026-12-01T00:59:00+01:00"}"""))
        {
            await retry.Ok(201);
            Assert.Equal("true", retry.Headers.GetValues("Idempotent-Replayed").Single());
        }

        await (await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"jobs","amount":100,"eventId":"late-1","occurredAt":"2026-11-30T23:58:00Z"}""")).Problem(422, "idempotency_key_mismatch");

        var hours = await (await tenant.GetAsync("/v1/tenants/acme/usage/history?granularity=hour&meter=jobs&from=2026-11-30T23:00:00Z&to=2026-12-01T01:00:00Z")).Ok();
        Assert.Equal([100L, 7L], hours["buckets"]!.AsArray().Select(b => (long)b!["amount"]!));
        Assert.Equal(100, (long)Line(await (await tenant.GetAsync("/v1/tenants/acme/statements/2026-11")).Ok(), "jobs")["quantity"]!);

        time.Advance(TimeSpan.FromMinutes(3)); // 00:05: November has closed
        var tooLate = await (await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"jobs","amount":5,"eventId":"late-2","occurredAt":"2026-11-30T23:59:30Z"}""")).Problem(400, "invalid_occurred_at");
        Assert.Contains("Send it without occurredAt", (string?)tooLate["detail"], StringComparison.Ordinal);
        await (await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"jobs","amount":5,"eventId":"ahead-1","occurredAt":"2026-12-01T00:11:00Z"}""")).Problem(400, "invalid_occurred_at");
        var unreadable = await (await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"jobs","amount":5,"eventId":"odd-1","occurredAt":"30/11/2026 23:59"}""")).Problem(400, "malformed_request");
        Assert.Contains("not an ISO 8601 time", (string?)unreadable["detail"], StringComparison.Ordinal);
        await (await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"jobs","amount":5,"eventId":"late-2b"}""")).Ok(201);

        Assert.Equal(100, (long)Line(await (await tenant.GetAsync("/v1/tenants/acme/statements/2026-11")).Ok(), "jobs")["quantity"]!);
        Assert.Equal(12, (long)Line(await (await tenant.GetAsync("/v1/tenants/acme/statements/2026-12")).Ok(), "jobs")["quantity"]!);
    }

    /// <summary>
    /// Usage dated before the tenant existed would land in hours (or a month) it did not exist in: refused, except within
    /// the clocks' margin, where it counts at the creation.
    /// </summary>
    [Fact]
    public async Task Usage_dated_before_the_tenant_was_created_is_refused_beyond_the_clocks_margin()
    {
        await using var billed = await PricedAsync(new DateTimeOffset(2026, 11, 25, 0, 0, 0, TimeSpan.Zero));
        var (time, tenant) = (billed.Time, billed.Tenant);
        time.Advance(TimeSpan.FromDays(1));

        var refused = await (await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"jobs","amount":24000,"eventId":"backfill-1","occurredAt":"2026-11-02T00:00:00Z"}""")).Problem(400, "invalid_occurred_at");
        Assert.Contains("is before tenant 'acme' was created (2026-11-25T00:00:00.0000000+00:00)", (string?)refused["detail"], StringComparison.Ordinal);
        await (await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"jobs","amount":3,"eventId":"skewed-1","occurredAt":"2026-11-24T23:57:00Z"}""")).Ok(201);

        var hours = await (await tenant.GetAsync("/v1/tenants/acme/usage/history?granularity=hour&meter=jobs&from=2026-11-24T23:00:00Z&to=2026-11-25T01:00:00Z")).Ok();
        var bucket = Assert.Single(hours["buckets"]!.AsArray());
        Assert.Equal((new DateTimeOffset(2026, 11, 25, 0, 0, 0, TimeSpan.Zero), 3L), ((DateTimeOffset)bucket!["start"]!, (long)bucket["amount"]!));
        Assert.Equal(3, (long)Line(await (await tenant.GetAsync("/v1/tenants/acme/statements/2026-11")).Ok(), "jobs")["quantity"]!);
    }

    /// <summary>An embedded gateway on a manual clock, with tenant "acme" metering <see cref="Budgets"/> under <see cref="Plan"/>.</summary>
    private static async Task<Priced> PricedAsync(DateTimeOffset at)
    {
        var time = new ManualTimeProvider(at);
        var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite, time: time);
        var admin = server.Admin();
        try
        {
            var tenant = server.Client(await admin.CreateTenantWithKey("acme", Budgets));
            await (await admin.PutJson("/v1/tenants/acme/pricing-plan", Plan)).Ok();
            return new Priced(time, server, admin, tenant);
        }
        catch
        {
            admin.Dispose();
            await server.DisposeAsync();
            throw;
        }
    }

    private static long Sum(System.Text.Json.Nodes.JsonNode history, string meter) =>
        history["buckets"]!.AsArray().Where(b => (string?)b!["meter"] == meter).Sum(b => (long)b!["amount"]!);

    private static System.Text.Json.Nodes.JsonNode Line(System.Text.Json.Nodes.JsonNode statement, string meter) =>
        statement["lines"]!.AsArray().Single(l => (string?)l!["meter"] == meter)!;

    private sealed record Priced(ManualTimeProvider Time, GatewayServer Server, HttpClient Admin, HttpClient Tenant) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Admin.Dispose();
            Tenant.Dispose();
            await Server.DisposeAsync();
        }
    }
}
