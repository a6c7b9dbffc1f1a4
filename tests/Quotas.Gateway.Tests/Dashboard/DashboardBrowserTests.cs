using System.Text.RegularExpressions;
using System.Threading.Channels;
using Grains.Testing;
using Microsoft.AspNetCore.Http;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Quotas.Gateway.Tests.Dashboard;

/// <summary>The dashboard in a real browser against a running gateway and silo.</summary>
public sealed class DashboardBrowserTests(Browser browser) : IClassFixture<Browser>
{
    private const string Quotas = """[{"name":"cpu","kind":"gauge","limit":10},{"name":"storage_bytes","kind":"reportedGauge","limit":1000}]""";

    [Fact]
    public async Task A_tenant_signed_in_with_its_key_sees_its_usage_and_alerts_live()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var tenant = server.Client(await server.Admin().CreateTenantWithKey("acme", Quotas));
        var key = tenant.DefaultRequestHeaders.Authorization!.Parameter!;
        var (page, errors) = await browser.NewPageAsync();

        await SignInAsync(page, server, key, "acme");

        await Expect(page.Locator("#connection")).ToHaveTextAsync("live");
        await Expect(page.Locator("#sign-in")).ToBeHiddenAsync();
        await Expect(Row(page, "reported", "storage_bytes")).ToContainTextAsync("0 / 1000");
        await Expect(Row(page, "gauges", "cpu")).ToContainTextAsync("0 / 10");

        await (await tenant.PutJson("/v1/tenants/acme/reported/storage_bytes", """{"value":960}""")).Ok(204);

        await Expect(Row(page, "reported", "storage_bytes")).ToContainTextAsync("960 / 1000");
        await Expect(page.Locator("#alerts li")).ToHaveCountAsync(2);
        await Expect(page.Locator("#alerts li").First).ToContainTextAsync("reached 95%");
        await Expect(page.Locator("#connection")).ToHaveTextAsync("live");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task A_tenant_sees_its_months_statement_so_far_under_its_plan()
    {
        // The tenant is created on 1 December; then the silo's clock and the page's are both at noon on 5 December, so
        // the month the page asks for is the one the usage is in, and 4.5 of its 31 days (all the tenant's) are gone.
        var now = new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);
        var time = new ManualTimeProvider(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite, time: time);
        using var admin = server.Admin();
        using var tenant = server.Client(await admin.CreateTenantWithKey("acme", """[{"name":"jobs","kind":"budget","limit":-1,"period":"month"}]"""));
        time.AdvanceTo(now);
        await (await admin.PutJson("/v1/tenants/acme/pricing-plan", """{"name":"standard","currency":"EUR","monthlyFee":49,"prices":[{"meter":"jobs","unitPrice":0.005}]}""")).Ok();
        await (await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"jobs","amount":1001,"eventId":"e1"}""")).Ok(201);
        var (page, errors) = await browser.NewPageAsync();
        await page.Clock.SetFixedTimeAsync(now.UtcDateTime);

        await SignInAsync(page, server, tenant.DefaultRequestHeaders.Authorization!.Parameter!, "acme");

        var jobs = page.Locator("#statement tr[data-meter='jobs'] td");
        await Expect(jobs).ToHaveTextAsync(new Regex[] { new("^jobs$"), new("^1001$"), new("^0$"), new(@"^EUR\s5\.01$"), new(@"^EUR\s34\.48$") }); // 6,896 projected
        await Expect(page.Locator("#statement-total")).ToContainTextAsync(new Regex(@"Plan standard: EUR\s54\.01 so far, the monthly fee of EUR\s49\.00 included"));
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Where_no_stream_can_be_held_the_page_polls_instead()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite, o => o.MaxEventStreams = 0);
        using var tenant = server.Client(await server.Admin().CreateTenantWithKey("acme", Quotas));
        await (await tenant.PutJson("/v1/tenants/acme/reported/storage_bytes", """{"value":900}""")).Ok(204);
        var (page, errors) = await browser.NewPageAsync();

        await SignInAsync(page, server, tenant.DefaultRequestHeaders.Authorization!.Parameter!, "acme");

        await Expect(page.Locator("#connection")).ToHaveTextAsync("polling every 1 s");
        await Expect(Row(page, "reported", "storage_bytes")).ToContainTextAsync("900 / 1000");
        await Expect(page.Locator("#alerts li")).ToHaveCountAsync(1);
        await (await tenant.PutJson("/v1/tenants/acme/reported/storage_bytes", """{"value":960}""")).Ok(204);
        await Expect(Row(page, "reported", "storage_bytes")).ToContainTextAsync("960 / 1000");
        await Expect(page.Locator("#alerts li")).ToHaveCountAsync(2);

        // The 503s of the refused streams are the browser's own console errors (failed requests), not the page's.
        Assert.All(errors, e => Assert.Contains("503", e, StringComparison.Ordinal));
    }

    /// <summary>A stream refused with a Retry-After is not asked again before it (it was after the interval, 1 s here).</summary>
    [Fact]
    public async Task A_refused_stream_is_asked_again_only_after_its_Retry_After()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var tenant = server.Client(await server.Admin().CreateTenantWithKey("acme", Quotas));
        var (page, _) = await browser.NewPageAsync();
        await page.Clock.InstallAsync();
        var streams = 0;
        var secondStream = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await page.RouteAsync("**/usage/events**", route =>
        {
            if (Interlocked.Increment(ref streams) == 2)
            {
                secondStream.TrySetResult();
            }

            return route.FulfillAsync(new RouteFulfillOptions
            {
                Status = 429,
                ContentType = "application/problem+json",
                Headers = new Dictionary<string, string> { ["Retry-After"] = "45" },
                Body = """{"status":429,"code":"too_many_streams","detail":"The gateway holds its most streams."}""",
            });
        });

        await SignInAsync(page, server, tenant.DefaultRequestHeaders.Authorization!.Parameter!, "acme");
        await Expect(page.Locator("#problem")).ToContainTextAsync("The gateway holds its most streams.");
        await Expect(page.Locator("#connection")).ToHaveTextAsync("reconnecting");
        await page.Clock.RunForAsync(10_000);
        await Expect(page.Locator("#connection")).ToHaveTextAsync("reconnecting");
        Assert.Equal(1, Volatile.Read(ref streams));

        await page.Clock.RunForAsync(36_000);
        await secondStream.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, Volatile.Read(ref streams));
    }

    [Fact]
    public async Task A_stream_that_ends_without_an_event_as_behind_a_buffering_proxy_counts_as_failed_and_the_page_polls()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var tenant = server.Client(await server.Admin().CreateTenantWithKey("acme", Quotas));
        var (page, errors) = await browser.NewPageAsync();
        var streams = 0;
        await page.RouteAsync("**/usage/events**", route =>
        {
            Interlocked.Increment(ref streams);
            return route.FulfillAsync(new RouteFulfillOptions { Status = 200, ContentType = "text/event-stream", Body = "" });
        });

        await SignInAsync(page, server, tenant.DefaultRequestHeaders.Authorization!.Parameter!, "acme");

        await Expect(page.Locator("#connection")).ToHaveTextAsync("polling every 1 s");
        await Expect(Row(page, "reported", "storage_bytes")).ToContainTextAsync("0 / 1000");
        Assert.Equal(3, Volatile.Read(ref streams));
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Streams_cut_after_delivering_events_are_connected_again_without_a_switch_to_polling()
    {
        // In front of the gateway, as a proxy that cuts long connections: the gateway's own stream, cut by the test
        // once the page has shown what it delivered.
        var streams = Channel.CreateUnbounded<HttpContext>();
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite, inFront: async (context, next) =>
        {
            if (context.Request.Path.Value!.EndsWith("/usage/events", StringComparison.Ordinal))
            {
                streams.Writer.TryWrite(context);
            }

            await next();
        });
        using var tenant = server.Client(await server.Admin().CreateTenantWithKey("acme", Quotas));
        var (page, _) = await browser.NewPageAsync();

        await SignInAsync(page, server, tenant.DefaultRequestHeaders.Authorization!.Parameter!, "acme");

        // Three streams in a row fail after delivering: each starts the count afresh, so the page connects a fourth
        // time a moment later, where it used to poll for a minute after the third.
        for (var cut = 0; cut < 3; cut++)
        {
            var stream = await streams.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));
            await Expect(page.Locator("#connection")).ToHaveTextAsync("live");
            stream.Abort();
        }

        await streams.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        await Expect(page.Locator("#connection")).ToHaveTextAsync("live");
    }

    [Fact]
    public async Task A_stream_whose_events_a_proxy_holds_back_is_dropped_and_the_page_polls()
    {
        // In front of the gateway, as a buffering proxy: the stream's headers go out, its events never do.
        var held = 0;
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite, inFront: async (context, next) =>
        {
            if (!context.Request.Path.Value!.EndsWith("/usage/events", StringComparison.Ordinal))
            {
                await next();
                return;
            }

            Interlocked.Increment(ref held);
            context.Response.ContentType = "text/event-stream";
            await context.Response.Body.FlushAsync(context.RequestAborted);
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // The page dropped the connection.
            }
        });
        using var tenant = server.Client(await server.Admin().CreateTenantWithKey("acme", Quotas));
        var (page, errors) = await browser.NewPageAsync();

        await SignInAsync(page, server, tenant.DefaultRequestHeaders.Authorization!.Parameter!, "acme");

        // Three connections, each dropped after two intervals and five seconds without an event.
        await Expect(page.Locator("#connection")).ToHaveTextAsync("polling every 1 s", new() { Timeout = 60_000 });
        await Expect(Row(page, "reported", "storage_bytes")).ToContainTextAsync("0 / 1000");
        Assert.Equal(3, Volatile.Read(ref held));
        Assert.Empty(errors);
    }

    [Fact]
    public async Task The_event_parser_reads_fields_comments_multi_line_data_and_a_CRLF_split_across_chunks()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        var (page, errors) = await browser.NewPageAsync();
        await page.GotoAsync(new Uri(server.Address, "/dashboard").ToString());

        var parsed = await page.EvaluateAsync<string>("""
            async () => {
              const { serverSentEvents } = await import('/dashboard/sse.js');
              const chunks = [': a comment\r', '\nevent: usage\r', '\nid: 7\nretry: 2000\ndata: {"a":\r\n', 'data: 1}\r\n\r', '\n', 'data: second\n\n', 'data: never ended'];
              const body = new ReadableStream({ start(c) { for (const s of chunks) c.enqueue(new TextEncoder().encode(s)); c.close(); } });
              const events = [];
              for await (const e of serverSentEvents(body)) events.push(e);
              return JSON.stringify(events);
            }
            """);

        var events = System.Text.Json.Nodes.JsonNode.Parse(parsed)!.AsArray();
        Assert.Equal(2, events.Count);
        Assert.Equal("usage", (string?)events[0]!["type"]);
        Assert.Equal("{\"a\":\n1}", (string?)events[0]!["data"]);
        Assert.Equal("7", (string?)events[0]!["id"]);
        Assert.Equal(2000, (int)events[0]!["retry"]!);
        Assert.Equal("message", (string?)events[1]!["type"]);
        Assert.Equal("second", (string?)events[1]!["data"]);
        Assert.Empty(errors);
    }

    [Fact]
    public async Task A_reset_on_another_day_shows_its_date_and_one_that_never_comes_shows_nothing()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        var (page, errors) = await browser.NewPageAsync();
        await page.GotoAsync(new Uri(server.Address, "/dashboard").ToString());

        var shown = await page.EvaluateAsync<string[]>("""
            async () => {
              const { resetsText } = await import('/dashboard/view.js');
              const now = new Date(2026, 11, 5, 12, 0, 0);
              return [
                resetsText(new Date(2026, 11, 5, 18, 30, 0), now),
                resetsText(new Date(2027, 0, 1, 0, 0, 0), now),
                resetsText(new Date('9999-12-31T23:59:59Z'), now),
              ];
            }
            """);

        Assert.StartsWith("resets ", shown[0], StringComparison.Ordinal);
        Assert.DoesNotContain("2026", shown[0], StringComparison.Ordinal); // today: the time alone
        Assert.Contains("2027", shown[1], StringComparison.Ordinal); // a month's budget: its date too
        Assert.Equal("", shown[2]);
        Assert.Empty(errors);
    }

    [Fact]
    public async Task The_admin_sees_the_cluster_and_the_tenants_and_can_watch_one()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        await server.Admin().CreateTenantWithKey("acme", Quotas);
        var (page, errors) = await browser.NewPageAsync();

        await SignInAsync(page, server, GatewayServer.AdminKey, tenant: "");

        await Expect(page.Locator("#silos tbody tr")).ToHaveCountAsync(1);
        await Expect(page.Locator("#silos tbody tr").First).ToContainTextAsync("Active");
        var row = page.Locator("#tenants tbody tr", new PageLocatorOptions { HasText = "acme" });
        await Expect(row).ToHaveCountAsync(1);
        await row.GetByRole(AriaRole.Button, new LocatorGetByRoleOptions { Name = "Watch" }).ClickAsync();

        await Expect(page.Locator("#tenant-id")).ToHaveTextAsync("acme");
        await Expect(page.Locator("#connection")).ToHaveTextAsync("live");
        await Expect(Row(page, "gauges", "cpu")).ToContainTextAsync("0 / 10");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task The_admin_watches_a_pool_its_tenants_by_weighted_share_least_first_and_goes_back()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var admin = server.Admin();
        await (await admin.PostJson("/v1/pools", """{"id":"pool-a","capacity":{"cpu":1000}}""")).Ok(201);
        using var acme = server.Client(await admin.CreateTenantWithKey("acme"));
        using var zeta = server.Client(await admin.CreateTenantWithKey("zeta"));

        // Acme's job comes first and runs, so acme holds the larger share and is listed after zeta: by share, not by id.
        await (await acme.PostJson("/v1/tenants/acme/pools/pool-a/jobs", """{"demand":{"cpu":300}}""", "a-1")).Ok(201);
        await (await admin.PostJson("/v1/pools/pool-a/workers/w1/leases", """{"freeCapacity":{"cpu":300},"leaseTtlSeconds":60}""")).Ok();
        await (await zeta.PostJson("/v1/tenants/zeta/pools/pool-a/jobs", """{"demand":{"cpu":100}}""", "z-1")).Ok(201);
        await (await zeta.PostJson("/v1/tenants/zeta/pools/pool-a/jobs", """{"demand":{"cpu":100}}""", "z-2")).Ok(201);
        var (page, errors) = await browser.NewPageAsync();

        await SignInAsync(page, server, GatewayServer.AdminKey, tenant: "");
        var pool = page.Locator("#pools tbody tr", new PageLocatorOptions { HasText = "pool-a" });
        await Expect(pool).ToContainTextAsync("cpu 1000");
        await pool.GetByRole(AriaRole.Button, new LocatorGetByRoleOptions { Name = "Watch" }).ClickAsync();

        await Expect(page.Locator("#pool-id")).ToHaveTextAsync("pool-a");
        var rows = page.Locator("#standings tbody tr");
        await Expect(rows).ToHaveCountAsync(2);
        await Expect(rows.Nth(0)).ToHaveAttributeAsync("data-tenant", "zeta");
        await Expect(rows.Nth(0).Locator("td").Nth(4)).ToHaveTextAsync("2");
        await Expect(rows.Nth(1)).ToHaveAttributeAsync("data-tenant", "acme");
        await Expect(rows.Nth(1).Locator("td").Nth(3)).ToHaveTextAsync("cpu 300");
        await Expect(rows.Nth(1).Locator("td").Nth(5)).ToHaveTextAsync("1");

        // Back at the overview, which reads the pools afresh.
        await (await admin.PostJson("/v1/pools", """{"id":"pool-b","capacity":{"cpu":10}}""")).Ok(201);
        await page.ClickAsync("#overview");
        await Expect(page.Locator("#admin")).ToBeVisibleAsync();
        await Expect(page.Locator("#pools tbody tr")).ToHaveCountAsync(2);
        await Expect(page.Locator("#overview")).ToBeHiddenAsync();
        await Expect(page.Locator("#pool-view")).ToBeHiddenAsync();
        Assert.Empty(errors);
    }

    [Fact]
    public async Task A_wrong_key_or_a_tenant_key_without_its_tenant_is_told_what_is_wrong_and_asked_again()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var tenant = server.Client(await server.Admin().CreateTenantWithKey("acme", Quotas));
        var (page, _) = await browser.NewPageAsync();

        await SignInAsync(page, server, "qk_0123456789abcdef_not-the-secret", "acme");
        await Expect(page.Locator("#problem")).ToContainTextAsync("The API key is not valid");
        await Expect(page.Locator("#sign-in")).ToBeVisibleAsync();
        Assert.Null(await page.EvaluateAsync<string?>("sessionStorage.getItem('quotas.dashboard')")); // not sent again on reload

        await SignInAsync(page, server, tenant.DefaultRequestHeaders.Authorization!.Parameter!, tenant: "", navigate: false);
        await Expect(page.Locator("#problem")).ToContainTextAsync("enter its tenant id");
        await Expect(page.Locator("#sign-in")).ToBeVisibleAsync();
        await Expect(page.Locator("#admin")).ToBeHiddenAsync();
    }

    private static ILocator Row(IPage page, string table, string quota) => page.Locator($"#{table} tr[data-quota='{quota}']");

    private static async Task SignInAsync(IPage page, GatewayServer server, string key, string tenant, bool navigate = true)
    {
        if (navigate)
        {
            await page.GotoAsync(new Uri(server.Address, "/dashboard").ToString());
        }

        await page.FillAsync("#key", key);
        await page.FillAsync("#tenant", tenant);
        await page.FillAsync("#interval", "1");
        await page.ClickAsync("button[type=submit]");
    }
}
