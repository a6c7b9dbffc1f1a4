using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Quotas.Gateway.Api;

namespace Quotas.Gateway;

/// <summary>
/// The API's JSON rules: unknown fields, fields sent twice, missing required fields, nulls for non-null fields or list items, numbers in
/// strings and enum values that are not one of the enum's names (<see cref="StrictEnumConverter"/>) are errors.
/// <see cref="Configure"/> applies them to the framework's JSON options (the bodies it binds, the results it writes);
/// <see cref="Options"/> holds them for code that reads or writes bodies itself. One shared instance rather than the
/// framework's looked up per request: that lookup goes through the request's services, and their first use creates a
/// DI scope for the request, which the rate-limit hit (the hottest route) otherwise never needs.
/// </summary>
public static class ApiJson
{
    /// <summary>The framework's defaults for web APIs (camelCase, reflection metadata) with the API's rules.</summary>
    public static JsonSerializerOptions Options { get; } = Create(JsonIgnoreCondition.Never);

    /// <summary>
    /// <see cref="Options"/> leaving out null members, as every release before 2026-12-06 wrote them: what an
    /// idempotency key's fingerprint hashes, so that a retry across the upgrade still matches its first request.
    /// </summary>
    public static JsonSerializerOptions FingerprintOptions { get; } = Create(JsonIgnoreCondition.WhenWritingNull);

    public static void Configure(JsonSerializerOptions json)
    {
        ArgumentNullException.ThrowIfNull(json);
        json.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        json.RespectNullableAnnotations = true;
        json.RespectRequiredConstructorParameters = true;
        json.NumberHandling = JsonNumberHandling.Strict;

        // A field sent twice is refused rather than read as its last value: a proxy or validator that reads the first
        // would otherwise check another request than the one served (names match without regard to case, so "quota"
        // and "QUOTA" are the same field too).
        json.AllowDuplicateProperties = false;
        json.Converters.Add(new StrictEnumConverter());
        json.TypeInfoResolver = (json.TypeInfoResolver ?? new DefaultJsonTypeInfoResolver()).WithAddedModifier(NullListItems.Refuse);
    }

    private static JsonSerializerOptions Create(JsonIgnoreCondition ignore)
    {
        // What ASP.NET Core's JsonOptions starts from, so that both serialize alike.
        var json = new JsonSerializerOptions(JsonSerializerDefaults.Web) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };
        Configure(json);
        json.DefaultIgnoreCondition = ignore;
        json.MakeReadOnly();
        return json;
    }
}
