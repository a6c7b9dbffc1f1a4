using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Quotas.LoadTest.Targets;

/// <summary>Creates the load-test tenants through the product's admin API, each with one rate quota and an API key.</summary>
internal static class TenantProvisioner
{
    /// <summary>Returns the tenant keys in the order of <paramref name="tenantIds"/>.</summary>
    public static async Task<IReadOnlyList<string>> CreateAsync(Uri baseAddress, string adminKey, IReadOnlyList<string> tenantIds, long limit, int windowSeconds, CancellationToken cancellationToken)
    {
        using var admin = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        var keys = new List<string>(tenantIds.Count);
        foreach (var id in tenantIds)
        {
            // The product's JSON is strict (unknown fields are a 400), so the body holds exactly the documented fields.
            var tenant = $$"""{"id":"{{id}}","tier":"basic","quotas":[{"name":"requests","kind":"rate","limit":{{limit}},"windowSeconds":{{windowSeconds}},"buckets":10}]}""";
            await PostAsync(admin, "/v1/tenants", tenant, cancellationToken);
            using var issued = JsonDocument.Parse(await PostAsync(admin, $"/v1/tenants/{id}/api-keys", null, cancellationToken));
            keys.Add(issued.RootElement.GetProperty("key").GetString()
                ?? throw new StartupException($"The API key issued to {id} has no 'key'."));
        }

        return keys;
    }

    private static async Task<string> PostAsync(HttpClient admin, string path, string? json, CancellationToken cancellationToken)
    {
        using var content = json is null ? null : new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await admin.PostAsync(path, content, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return response.StatusCode == HttpStatusCode.Created
            ? body
            : throw new StartupException($"POST {path} answered {(int)response.StatusCode}, expected 201: {body}");
    }
}
