namespace Quotas.Gateway.Tests;

public sealed class BadInputTests
{
    /// <summary>An empty Idempotency-Key (an unset variable, say) is refused rather than read as none, which would run the request again on every retry.</summary>
    [Fact]
    public async Task An_empty_idempotency_key_is_refused()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var admin = server.Admin();
        using var tenant = server.Client(await admin.CreateTenantWithKey("acme"));
        await (await admin.PostJson("/v1/pools", """{"id":"gpu-pool","capacity":{"cpu":1000}}""")).Ok(201);
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/tenants/acme/pools/gpu-pool/jobs")
        {
            Content = new StringContent("""{"demand":{"cpu":600}}""", System.Text.Encoding.UTF8, "application/json"),
        };
        Assert.True(request.Headers.TryAddWithoutValidation("Idempotency-Key", ""));

        await (await tenant.SendAsync(request)).Problem(400, "invalid_idempotency_key");
        Assert.Empty((await (await tenant.GetAsync("/v1/tenants/acme/pools/gpu-pool/jobs")).Ok())["items"]!.AsArray());
    }

    [Fact]
    public async Task An_enum_field_takes_one_of_its_names_not_names_joined_by_commas_nor_a_number()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var admin = server.Admin();

        // The framework's converter reads "premium, enterprise" as the two tiers' values combined: another tier.
        foreach (var tier in new[] { "\"premium, enterprise\"", "\"premium,enterprise\"", "\"basic\\u002cpremium\"", "\"gold\"", "\" basic\"", "1", "\"1\"" })
        {
            var problem = await (await admin.PostJson("/v1/tenants", $$"""{"id":"t-enum","tier":{{tier}}}""")).Problem(400, "malformed_request");
            Assert.Contains("not one of the names this field takes: basic, premium, enterprise, unlimited", (string?)problem["detail"], StringComparison.Ordinal);
            Assert.Contains("$.tier", (string?)problem["detail"], StringComparison.Ordinal);
        }

        await (await admin.GetAsync("/v1/tenants/t-enum")).Problem(404);
        var created = await (await admin.PostJson("/v1/tenants", """{"id":"t-enum","tier":"Premium"}""")).Ok(201);
        Assert.Equal("premium", (string?)created["tier"]);
    }

    [Theory]
    [InlineData(Backend.EmbeddedSqlite)]
    [InlineData(Backend.PostgreSqlCluster)]
    public async Task Malformed_json_wrong_types_unknown_fields_oversized_bodies_and_invalid_ids_get_4xx_problem_details(Backend backend)
    {
        await using var server = await GatewayServer.StartAsync(backend, o => o.MaxRequestBodyBytes = 4096);
        using var admin = server.Admin();
        using var tenant = server.Client(await admin.CreateTenantWithKey("acme", """[{"name":"cpu","kind":"gauge","limit":10}]"""));

        await (await admin.PostJson("/v1/tenants", """{"id":"x", """)).Problem(400, "malformed_request");
        await (await admin.PostJson("/v1/tenants", """{"id":42}""")).Problem(400, "malformed_request");
        await (await admin.PostJson("/v1/tenants", """{"id":"x","colour":"red"}""")).Problem(400, "malformed_request");
        await (await admin.PostJson("/v1/tenants", """{"id":"x","tier":"gold"}""")).Problem(400, "malformed_request");
        await (await admin.PostJson("/v1/tenants", """{"name":"no id"}""")).Problem(400, "malformed_request");
        await (await admin.PostJson("/v1/tenants", "[" + new string(' ', 5000) + "]")).Problem(413, "payload_too_large");
        await (await admin.PostJson("/v1/tenants", """{"id":"Not_Valid"}""")).Problem(400, "invalid_tenant_id");
        await (await admin.PostJson("/v1/tenants", """{"id":"acme"}""")).Problem(409, "tenant_exists");
        await (await admin.PostJson("/v1/tenants", """{"id":"child","parentId":"ghost"}""")).Problem(400);
        await (await admin.PostJson("/v1/tenants", """{"id":"zoned","timeZone":"Mars/Olympus"}""")).Problem(400, "invalid_time_zone");
        await (await admin.PostJson("/v1/tenants", """{"id":"zoned","timeZone":"America"}""")).Problem(400, "invalid_time_zone");
        await (await admin.GetAsync("/v1/tenants/" + new string('a', 64))).Problem(400, "invalid_tenant_id");
        await (await admin.GetAsync("/v1/tenants?limit=0")).Problem(400);
        await (await admin.GetAsync("/v1/no-such-route")).Problem(404, "not_found");
        await (await admin.DeleteAsync("/v1/tenants")).Problem(405, "method_not_allowed");

        await (await tenant.PostJson("/v1/tenants/acme/leases", """{"quota":"cpu","amount":0,"ttlSeconds":30}""")).Problem(400, "invalid_amount");
        await (await tenant.PostJson("/v1/tenants/acme/leases", """{"quota":"cpu","amount":-1,"ttlSeconds":30}""")).Problem(400, "invalid_amount");
        await (await tenant.PostJson("/v1/tenants/acme/leases", """{"quota":"cpu","amount":99999999999999999999,"ttlSeconds":30}""")).Problem(400, "malformed_request");
        await (await tenant.PostJson("/v1/tenants/acme/leases", """{"quota":"gpu","amount":1,"ttlSeconds":30}""")).Problem(400, "unknown_quota");
        await (await tenant.PostJson("/v1/tenants/acme/leases", """{"quota":"cpu","amount":1,"ttlSeconds":0}""")).Problem(400, "invalid_ttl");
        await (await tenant.PostJson("/v1/tenants/acme/leases", """{"quota":"cpu","amount":"1","ttlSeconds":30}""")).Problem(400, "malformed_request");
        await (await tenant.PostJson("/v1/tenants/acme/rate-limits/nothing/hits", """{"cost":1}""")).Problem(400, "unknown_quota");
        await (await tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"cost","amount":1}""", new string('k', 200))).Problem(400, "invalid_idempotency_key");

        var stats = await (await tenant.GetAsync("/v1/tenants/acme/usage")).Ok();
        Assert.Equal(0, (long)stats["gauges"]!.AsArray().Single(g => (string?)g!["quota"] == "cpu")!["current"]!);
    }

    /// <summary>
    /// A field sent twice is refused, not read as its last value (a proxy that checks the first would let another
    /// request through than the one served), and a missing or null body is told to send one, in the API's terms.
    /// </summary>
    [Fact]
    public async Task A_field_sent_twice_unknown_missing_or_null_and_a_missing_body_are_refused_in_the_API_s_terms()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var admin = server.Admin();
        using var tenant = server.Client(await admin.CreateTenantWithKey("acme", """[{"name":"cpu","kind":"gauge","limit":10}]"""));

        var twice = await (await tenant.PostJson("/v1/tenants/acme/leases", """{"quota":"cpu","amount":1,"amount":9,"ttlSeconds":30}""")).Problem(400, "malformed_request");
        var twiceOtherCase = await (await tenant.PostJson("/v1/tenants/acme/leases", """{"quota":"cpu","QUOTA":"cpu","amount":1,"ttlSeconds":30}""")).Problem(400, "malformed_request");
        var twiceInRateHit = await (await tenant.PostJson("/v1/tenants/acme/rate-limits/requests/hits", """{"cost":1,"cost":2}""")).Problem(400, "malformed_request");
        var unknown = await (await tenant.PostJson("/v1/tenants/acme/leases", """{"quota":"cpu","amount":1,"ttlSeconds":30,"colour":1}""")).Problem(400, "malformed_request");
        var lacking = await (await tenant.PostJson("/v1/tenants/acme/leases", """{"amount":1,"ttlSeconds":30}""")).Problem(400, "malformed_request");
        var nullField = await (await tenant.PostJson("/v1/tenants/acme/leases", """{"quota":null,"amount":1,"ttlSeconds":30}""")).Problem(400, "malformed_request");
        var nullMember = await (await admin.PostJson("/v1/pools", """{"id":"p","capacity":{"cpu":1},"tenants":null}""")).Problem(400, "malformed_request");
        var missing = await (await tenant.PostJson("/v1/tenants/acme/leases", "")).Problem(400, "malformed_request");
        var nullBody = await (await tenant.PostJson("/v1/tenants/acme/leases", "null")).Problem(400, "malformed_request");

        Assert.Contains("amount", (string?)twice["detail"], StringComparison.Ordinal);
        Assert.Contains("QUOTA", (string?)twiceOtherCase["detail"], StringComparison.Ordinal);
        Assert.Contains("cost", (string?)twiceInRateHit["detail"], StringComparison.Ordinal);
        foreach (var problem in new[] { twice, twiceOtherCase, twiceInRateHit, unknown, lacking, nullField, nullMember, missing, nullBody })
        {
            Assert.DoesNotContain("Request", (string?)problem["detail"], StringComparison.Ordinal);
            Assert.DoesNotContain("Quotas.", (string?)problem["detail"], StringComparison.Ordinal);
        }

        Assert.Contains("The field 'colour' is not one this route takes", (string?)unknown["detail"], StringComparison.Ordinal);
        Assert.Contains("The body lacks required fields: 'quota'.", (string?)lacking["detail"], StringComparison.Ordinal);
        Assert.Contains("The field 'quota' may not be null", (string?)nullField["detail"], StringComparison.Ordinal);
        Assert.Contains("The field 'tenants' may not be null", (string?)nullMember["detail"], StringComparison.Ordinal);

        Assert.Contains("JSON object", (string?)missing["detail"], StringComparison.Ordinal);
        Assert.Contains("JSON object", (string?)nullBody["detail"], StringComparison.Ordinal);
        var stats = await (await tenant.GetAsync("/v1/tenants/acme/usage")).Ok();
        Assert.Equal(0, (long)stats["gauges"]!.AsArray().Single(g => (string?)g!["quota"] == "cpu")!["current"]!);
    }

    /// <summary>
    /// A quota field that does not apply to its kind or limit type is refused, not dropped: a limit sent with limitType
    /// unlimited would otherwise store no cap at all, and a ceiling without limitType soft a hard limit.
    /// </summary>
    [Fact]
    public async Task A_quota_field_that_does_not_apply_to_its_kind_or_limit_type_is_refused_and_nothing_is_stored()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var admin = server.Admin();
        await (await admin.PostJson("/v1/tenants", """{"id":"acme","quotas":[{"name":"gpus","kind":"gauge","limit":4}]}""")).Ok(201);

        var contradictions = new (string Quota, string Code, string Names)[]
        {
            ("""{"name":"gpus","kind":"gauge","limit":100,"limitType":"unlimited"}""", "invalid_limit", "limitType unlimited and limit 100"),
            ("""{"name":"gpus","kind":"gauge","limit":10,"ceiling":15}""", "invalid_request", "'ceiling', 'maxBurstSeconds' and 'graceSeconds' apply only to limitType soft"),
            ("""{"name":"gpus","kind":"gauge","limit":10,"graceSeconds":60}""", "invalid_request", "apply only to limitType soft"),
            ("""{"name":"gpus","kind":"gauge","limit":10,"windowSeconds":60}""", "invalid_request", "apply only to kind rate"),
            ("""{"name":"requests","kind":"rate","limit":10,"windowSeconds":60,"burst":5}""", "invalid_request", "'burst' applies only to algorithm tokenBucket"),
            ("""{"name":"requests","kind":"rate","limit":10,"windowSeconds":60,"algorithm":"tokenBucket","burst":5,"buckets":10}""", "invalid_request", "'buckets' applies only to algorithm slidingWindow"),
            ("""{"name":"gpus","kind":"gauge","limit":10,"period":"month"}""", "invalid_request", "'period' applies only to kind budget"),
        };
        foreach (var (quota, code, names) in contradictions)
        {
            var problem = await (await admin.PutJson("/v1/tenants/acme/quotas", $$"""{"quotas":[{{quota}}]}""")).Problem(400, code);
            Assert.Contains(names, (string?)problem["detail"], StringComparison.Ordinal);
            await (await admin.PostJson("/v1/tenants", $$"""{"id":"other","quotas":[{{quota}}]}""")).Problem(400, code);
        }

        await (await admin.GetAsync("/v1/tenants/other")).Problem(404);
        var gpus = (await (await admin.GetAsync("/v1/tenants/acme")).Ok())["quotas"]!.AsArray().Single(q => (string?)q!["name"] == "gpus")!;
        Assert.Equal(4, (long)gpus["limit"]!);
        Assert.Equal("hard", (string?)gpus["limitType"]);

        // What a read answers is accepted back as it is, and the fields that apply are still taken.
        await (await admin.PutJson("/v1/tenants/acme/quotas", $$"""{"quotas":[{{gpus.ToJsonString()}},{"name":"slots","kind":"gauge","limit":10,"limitType":"soft","ceiling":15,"maxBurstSeconds":60}]}""")).Ok();
    }

    [Fact]
    public async Task A_client_that_accepts_no_json_still_gets_problem_details()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var admin = server.Admin();
        admin.DefaultRequestHeaders.Accept.ParseAdd("text/html");

        await (await admin.GetAsync("/v1/tenants?limit=many")).Problem(400, "malformed_request");
        await (await admin.GetAsync("/v1/no-such-route")).Problem(404, "not_found");
        var unknown = await (await admin.GetAsync("/v1/tenants/nobody")).Problem(404);
        Assert.Equal("Not found", (string?)unknown["title"]);
    }

    /// <summary>
    /// A query value of the wrong form is refused in the API's terms: the parameter, the value and what it takes. The
    /// detail was the framework's, naming the .NET parameter and its type (Failed to bind parameter "int? limit").
    /// </summary>
    [Fact]
    public async Task A_query_value_of_the_wrong_form_is_refused_naming_the_parameter_and_what_it_takes()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var admin = server.Admin();

        var limit = await (await admin.GetAsync("/v1/tenants?limit=abc")).Problem(400, "malformed_request");
        var force = await (await admin.DeleteAsync("/v1/tenants/demo-basic?force=yes")).Problem(400, "malformed_request");

        Assert.Equal("The value 'abc' of limit is not a whole number: see this route's parameters in /openapi/v1.json.", (string?)limit["detail"]);
        Assert.Equal("The value 'yes' of force is not true or false: see this route's parameters in /openapi/v1.json.", (string?)force["detail"]);
    }

    [Fact]
    public async Task A_null_item_in_any_request_list_is_a_400_that_names_the_list_and_changes_nothing()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        using var admin = server.Admin();
        await (await admin.PostJson("/v1/tenants", """{"id":"acme"}""")).Ok(201);
        await (await admin.PostJson("/v1/pools", """{"id":"pool-a","capacity":{"cpu":1000}}""")).Ok(201);

        var refusals = new (Func<Task<HttpResponseMessage>> Send, string List)[]
        {
            (() => admin.PostJson("/v1/tenants", """{"id":"t-q7","tier":"basic","quotas":[null]}"""), "quotas"),
            (() => admin.PutJson("/v1/tenants/acme/quotas", """{"quotas":[{"name":"cpu","kind":"gauge","limit":10},null]}"""), "quotas"),
            (() => admin.PostJson("/v1/pools", """{"id":"pool-b","capacity":{"cpu":1},"tenants":[null]}"""), "tenants"),
            (() => admin.PutJson("/v1/pools/pool-a", """{"id":"pool-a","capacity":{"cpu":1},"tenants":[null]}"""), "tenants"),
            // Job ids are numbers: the serializer itself refuses a null one and names its place, $.jobIds[0].
            (() => admin.PostJson("/v1/pools/pool-a/workers/w1/heartbeat", """{"jobIds":[null]}"""), "jobIds[0]"),
        };
        foreach (var (send, list) in refusals)
        {
            var detail = (string?)(await (await send()).Problem(400, "malformed_request"))["detail"];
            Assert.Contains(list, detail, StringComparison.Ordinal);
        }

        await (await admin.GetAsync("/v1/tenants/t-q7")).Problem(404, "unknown_tenant");
        await (await admin.GetAsync("/v1/pools/pool-b")).Problem(404, "not_found");
        Assert.Empty((await (await admin.GetAsync("/v1/tenants/acme")).Ok())["quotas"]!.AsArray());
        Assert.Equal(1000, (long)(await (await admin.GetAsync("/v1/pools/pool-a")).Ok())["capacity"]!["cpu"]!);
    }

    [Theory]
    [InlineData(Backend.EmbeddedSqlite)]
    [InlineData(Backend.PostgreSqlCluster)]
    public async Task A_wrong_value_in_a_resource_map_a_job_id_or_a_tenant_id_says_what_to_send_and_where(Backend backend)
    {
        await using var server = await GatewayServer.StartAsync(backend);
        using var admin = server.Admin();
        using var tenant = server.Client(await admin.CreateTenantWithKey("acme", "[]"));
        await (await admin.PostJson("/v1/pools", """{"id":"pool-a","capacity":{"cpu":1000}}""")).Ok(201);

        var refusals = new (Func<Task<HttpResponseMessage>> Send, string Says)[]
        {
            (() => admin.PostJson("/v1/pools", """{"id":"pool-b","capacity":{"cpu":null}}"""),
                "The amount of resource 'cpu' must be a whole number, e.g. \"cpu\": 500; got null. Path: $.capacity."),
            (() => admin.PostJson("/v1/pools", """{"id":"pool-b","capacity":{"cpu":"1"}}"""), "must be a whole number, e.g. \"cpu\": 500; got a string."),
            (() => admin.PostJson("/v1/pools", """{"id":"pool-b","capacity":{"cpu":1.5}}"""), "got the number 1.5. Path: $.capacity."),
            (() => admin.PostJson("/v1/pools", """{"id":"pool-b","capacity":[1]}"""), "A resource map is a JSON object of resource name to whole-number amount"),
            (() => admin.PostJson("/v1/pools", """{"id":"pool-b","capacity":{"cpu":1},"tenants":[{"tenant":5}]}"""),
                "A tenant id must be a JSON string, e.g. \"acme\"; got the number 5. Path: $.tenants[0].tenant."),
            (() => tenant.PostJson("/v1/tenants/acme/pools/pool-a/jobs", """{"demand":{"cpu":true}}""", "submit-1"), "got a boolean. Path: $.demand."),
            (() => admin.PostJson("/v1/pools/pool-a/workers/w1/heartbeat", """{"jobIds":["x"]}"""),
                "A job id must be a whole number, e.g. 42 (the id its submit returned); got a string. Path: $.jobIds[0]."),
            (() => tenant.PostJson("/v1/tenants/acme/usage", """{"quota":"jobs","amount":"3","eventId":"e1"}"""),
                "The value at $.amount is not of the type that field takes (the route's schema in /openapi/v1.json gives each field's type). Path: $.amount | LineNumber: 0"),
            (() => admin.PutJson("/v1/tenants/acme/quotas", """[{"name":"jobs"}]"""), "The value at $ is not of the type that field takes"),
        };
        foreach (var (send, says) in refusals)
        {
            var detail = (string?)(await (await send()).Problem(400, "malformed_request"))["detail"];
            Assert.Contains(says, detail, StringComparison.Ordinal);
            Assert.DoesNotContain("Quotas.", detail, StringComparison.Ordinal);
        }

        await (await admin.GetAsync("/v1/pools/pool-b")).Problem(404, "not_found");
        Assert.Empty((await (await tenant.GetAsync("/v1/tenants/acme/pools/pool-a/jobs")).Ok())["items"]!.AsArray());
    }

    [Fact]
    public async Task A_rate_limit_hit_reads_its_optional_body_by_the_same_rules_as_every_other_route()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite, o => o.MaxRequestBodyBytes = 4096);
        using var admin = server.Admin();
        using var tenant = server.Client(await admin.CreateTenantWithKey("acme", """[{"name":"requests","kind":"rate","limit":100,"windowSeconds":60}]"""));
        const string hits = "/v1/tenants/acme/rate-limits/requests/hits";

        foreach (var bad in new[] { """{"cost":""", """{"cost":"1"}""", """{"cost":null}""", """{"colour":1}""", "[]", " ", """{"cost":1} garbage""", """{"cost":1}{"cost":1}""" })
        {
            var problem = await (await tenant.PostJson(hits, bad)).Problem(400, "malformed_request");
            Assert.StartsWith("Failed to read the request body as this route's JSON.", (string?)problem["detail"]);
        }

        using var text = new StringContent("""{"cost":1}""", System.Text.Encoding.UTF8, "text/plain");
        await (await tenant.PostAsync(hits, text)).Problem(415, "unsupported_media_type");
        await (await tenant.PostJson(hits, "[" + new string(' ', 5000) + "]")).Problem(413, "payload_too_large");

        // No body, an empty object and an explicit cost: the refused ones above counted nothing.
        Assert.Equal(99, (long)(await (await tenant.PostAsync(hits, null)).Ok())["remaining"]!);
        Assert.Equal(98, (long)(await (await tenant.PostJson(hits, "{}")).Ok())["remaining"]!);
        Assert.Equal(95, (long)(await (await tenant.PostJson(hits, """{"cost":3}""")).Ok())["remaining"]!);
        Assert.Equal(94, (long)(await (await tenant.PostJson(hits, "{\"cost\":1} \r\n\t")).Ok())["remaining"]!);
    }
}
