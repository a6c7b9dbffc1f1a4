using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Quotas.Gateway.Tests;

/// <summary>Small helpers for raw HTTP calls: the tests check the wire format, so they do not use the SDK.</summary>
internal static class Api
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static Task<HttpResponseMessage> PostJson(this HttpClient http, string path, string json, string? idempotencyKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return http.SendAsync(request);
    }

    public static Task<HttpResponseMessage> PutJson(this HttpClient http, string path, string json) =>
        http.PutAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    public static async Task<JsonNode> Body(this HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync()) ?? throw new InvalidOperationException("Empty body.");

    /// <summary>Asserts the status and that the body is problem details with the given code; returns the body.</summary>
    public static async Task<JsonNode> Problem(this HttpResponseMessage response, int status, string? code = null)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"Expected {status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonNode.Parse(text)!;
        Assert.False(string.IsNullOrEmpty((string?)body["type"]));
        Assert.False(string.IsNullOrEmpty((string?)body["traceId"]));
        if (code is not null)
        {
            Assert.Equal(code, (string?)body["code"]);
        }

        return body;
    }

    public static async Task<JsonNode> Ok(this HttpResponseMessage response, int status = 200)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"Expected {status}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)!;
    }

    /// <summary>Creates a tenant with the admin key and issues it an API key; returns the key text.</summary>
    public static async Task<string> CreateTenantWithKey(this HttpClient admin, string id, string quotasJson = "[]", string? parentId = null)
    {
        var parent = parentId is null ? "" : $$""","parentId":"{{parentId}}" """;
        await (await admin.PostJson("/v1/tenants", $$"""{"id":"{{id}}","tier":"basic","quotas":{{quotasJson}}{{parent}}}""")).Ok(201);
        var key = await (await admin.PostAsync($"/v1/tenants/{id}/api-keys", null)).Ok(201);
        return (string)key["key"]!;
    }

    public static Task<HttpResponseMessage> PostEmpty(this HttpClient http, string path) => http.PostAsJsonAsync(path, new { });
}
