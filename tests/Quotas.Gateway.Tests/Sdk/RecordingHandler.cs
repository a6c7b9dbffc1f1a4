using System.Net;

namespace Quotas.Gateway.Tests.Sdk;

/// <summary>
/// Records every attempt the SDK sends (method, path, idempotency key, answer). Over a real connection it passes the
/// request on; without one it answers from <c>respond</c>, which may also throw to simulate a lost connection or a timeout.
/// </summary>
internal sealed class RecordingHandler : DelegatingHandler
{
    private readonly Func<int, HttpRequestMessage, HttpResponseMessage>? _respond;
    private readonly List<Attempt> _attempts = [];

    public RecordingHandler(HttpMessageHandler inner) => InnerHandler = inner;

    public RecordingHandler(Func<int, HttpRequestMessage, HttpResponseMessage> respond) => _respond = respond;

    public IReadOnlyList<Attempt> Attempts
    {
        get
        {
            lock (_attempts)
            {
                return [.. _attempts];
            }
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        int number;
        lock (_attempts)
        {
            number = _attempts.Count + 1;
        }

        var key = request.Headers.TryGetValues("Idempotency-Key", out var values) ? values.Single() : null;
        HttpResponseMessage response;
        try
        {
            response = _respond is null ? await base.SendAsync(request, cancellationToken) : _respond(number, request);
        }
        catch (Exception exception) when (exception is HttpRequestException or OperationCanceledException)
        {
            Record(new Attempt(request.Method, request.RequestUri!.PathAndQuery, key, null));
            throw;
        }

        Record(new Attempt(request.Method, request.RequestUri!.PathAndQuery, key, response.StatusCode));
        return response;
    }

    private void Record(Attempt attempt)
    {
        lock (_attempts)
        {
            _attempts.Add(attempt);
        }
    }

    internal sealed record Attempt(HttpMethod Method, string Path, string? IdempotencyKey, HttpStatusCode? Status);
}
