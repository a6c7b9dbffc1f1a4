using Microsoft.AspNetCore.Http;

namespace Quotas.Gateway.Auth;

/// <summary>
/// The <c>WWW-Authenticate</c> challenge that every 401 carries (RFC 9110, section 11.6.1): the Bearer scheme, with
/// <c>error="invalid_token"</c> when a bearer key was sent but is not valid (RFC 6750, section 3.1). A request without
/// a bearer key, or with another scheme, gets the bare challenge: it did not try, so there is no error to name.
/// </summary>
internal static class BearerChallenge
{
    public const string KeyMissing = "Bearer";
    public const string KeyRejected = "Bearer error=\"invalid_token\"";

    /// <summary>True when the request carries a bearer key at all, valid or not.</summary>
    public static bool HasBearerKey(HttpRequest request) =>
        CallerResolver.TryGetBearerKey(request.Headers.Authorization.ToString(), out _);
}
