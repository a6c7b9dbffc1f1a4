using System.Net;
using System.Text;

namespace Quotas.LoadTest.Load;

/// <summary>
/// The request each target gets for a tenant: <c>POST</c> of the same small JSON body with a bearer key. URIs and
/// header values are built once, so that the generator does the same, small work per request for every target: the
/// load itself is sent as the bytes of <see cref="RawRequest"/>, what <see cref="Create"/> gives HttpClient.
/// </summary>
internal sealed class RequestPlan
{
    private static readonly byte[] s_body = """{"cost":1}"""u8.ToArray();

    private readonly Uri[] _uris;
    private readonly string[] _authorizations;
    private readonly byte[][] _rawRequests;

    public RequestPlan(IReadOnlyList<Uri> uris, IReadOnlyList<string> bearerKeys)
    {
        if (uris.Count == 0 || uris.Count != bearerKeys.Count)
        {
            throw new ArgumentException("A plan needs one URI and one key per tenant.", nameof(uris));
        }

        _uris = [.. uris];
        _authorizations = [.. bearerKeys.Select(key => "Bearer " + key)];
        if (_uris.Any(uri => !IPAddress.TryParse(uri.Host, out _) || uri.Authority != _uris[0].Authority))
        {
            throw new ArgumentException("A plan's URIs name one server by its IP address and port.", nameof(uris));
        }

        EndPoint = new IPEndPoint(IPAddress.Parse(_uris[0].Host), _uris[0].Port);
        _rawRequests = [.. _uris.Select((uri, tenant) => Encoding.ASCII.GetBytes(
            $"POST {uri.PathAndQuery} HTTP/1.1\r\nHost: {uri.Authority}\r\nAuthorization: {_authorizations[tenant]}\r\n"
            + $"Content-Type: application/json\r\nContent-Length: {s_body.Length}\r\n\r\n").Concat(s_body).ToArray())];
    }

    public int Tenants => _uris.Length;

    /// <summary>The server every request goes to.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>The whole HTTP/1.1 request for a tenant, as it goes on the wire: the same as <see cref="Create"/>.</summary>
    public byte[] RawRequest(int tenant) => _rawRequests[tenant];

    public HttpRequestMessage Create(int tenant)
    {
        var content = new ByteArrayContent(s_body);
        content.Headers.TryAddWithoutValidation("Content-Type", "application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, _uris[tenant]) { Content = content };
        request.Headers.TryAddWithoutValidation("Authorization", _authorizations[tenant]);
        return request;
    }
}
