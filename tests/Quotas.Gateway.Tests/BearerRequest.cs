using Microsoft.AspNetCore.Http;

namespace Quotas.Gateway.Tests;

/// <summary>A bare request carrying <c>Authorization: Bearer {key}</c>, for a caller resolver tested on its own.</summary>
internal static class BearerRequest
{
    public static DefaultHttpContext With(string key)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.Authorization = "Bearer " + key;
        return context;
    }
}
