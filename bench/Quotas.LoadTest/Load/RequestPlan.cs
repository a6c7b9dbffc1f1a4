namespace Quotas.LoadTest.Load;

/// <summary>
/// The request each target gets for a tenant: <c>POST</c> of the same small JSON body with a bearer key. URIs and
/// header values are built once, so that the generator does the same, small work per request for every target.
/// </summary>
internal sealed class RequestPlan
{
    private static readonly byte[] s_body = """{"cost":1}"""u8.ToArray();

    private readonly Uri[] _uris;
    private readonly string[] _authorizations;

    public RequestPlan(IReadOnlyList<Uri> uris, IReadOnlyList<string> bearerKeys)
    {
        if (uris.Count == 0 || uris.Count != bearerKeys.Count)
        {
            throw new ArgumentException("A plan needs one URI and one key per tenant.", nameof(uris));
        }

        _uris = [.. uris];
        _authorizations = [.. bearerKeys.Select(key => "Bearer " + key)];
    }

    public int Tenants => _uris.Length;

    public HttpRequestMessage Create(int tenant)
    {
        var content = new ByteArrayContent(s_body);
        content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, _uris[tenant]) { Content = content };
        request.Headers.TryAddWithoutValidation("Authorization", _authorizations[tenant]);
        return request;
    }
}
