using System.Net.Http.Headers;
using System.Net.ServerSentEvents;

namespace Quotas.Gateway.Tests;

/// <summary>An open event stream of the gateway, read with the framework's SSE parser; every read is bounded in time.</summary>
public sealed class EventStream : IAsyncDisposable
{
    private static readonly TimeSpan s_readLimit = TimeSpan.FromSeconds(30);

    private readonly HttpResponseMessage _response;
    private readonly IAsyncEnumerator<SseItem<string>> _events;
    private readonly CancellationTokenSource _cancel = new();
    private bool _disposed;

    private EventStream(HttpResponseMessage response, Stream body)
    {
        _response = response;
        _events = SseParser.Create(body).EnumerateAsync(_cancel.Token).GetAsyncEnumerator(_cancel.Token);
    }

    public HttpResponseMessage Response => _response;

    /// <summary>Opens <paramref name="path"/>; the response is returned as is when it is not a stream (an error).</summary>
    public static async Task<(EventStream? Stream, HttpResponseMessage Response)> OpenAsync(HttpClient http, string path, string? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (!response.IsSuccessStatusCode)
        {
            return (null, response);
        }

        return (new EventStream(response, await response.Content.ReadAsStreamAsync()), response);
    }

    public static async Task<EventStream> OpenOkAsync(HttpClient http, string path, string? lastEventId = null)
    {
        var (stream, response) = await OpenAsync(http, path, lastEventId);
        return stream ?? throw new InvalidOperationException($"GET {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>The next event, or null when the server ended the stream.</summary>
    public async Task<SseItem<string>?> NextAsync()
    {
        return await _events.MoveNextAsync().AsTask().WaitAsync(s_readLimit) ? _events.Current : null;
    }

    /// <summary>The next event, which must be of <paramref name="type"/>; its data.</summary>
    public async Task<SseItem<string>> NextAsync(string type)
    {
        var item = await NextAsync() ?? throw new InvalidOperationException($"The stream ended; expected a '{type}' event.");
        Assert.Equal(type, item.EventType);
        return item;
    }

    /// <summary>Closes the stream (the client leaves); a second call does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _cancel.CancelAsync();
        _response.Dispose();
        try
        {
            await _events.DisposeAsync();
        }
        catch (OperationCanceledException)
        {
            // The read in progress, if any, ends with the cancellation.
        }

        _cancel.Dispose();
    }
}
