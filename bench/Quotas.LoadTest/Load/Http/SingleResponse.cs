namespace Quotas.LoadTest.Load.Http;

/// <summary>The status of one request sent through a <see cref="LoopbackClient"/>, as a task.</summary>
internal sealed class SingleResponse : IResponseSink
{
    private readonly TaskCompletionSource<int> _status = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<int> Status => _status.Task;

    public static async Task<int> SendAsync(LoopbackClient client, byte[] request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var response = new SingleResponse();
        client.Send(new PendingRequest(request, response, 0));
        return await response.Status.WaitAsync(timeout, cancellationToken);
    }

    public void Completed(long token, int statusCode, bool rateLimited, long sent, long completed) => _status.TrySetResult(statusCode);

    public void Failed(long token, string error) => _status.TrySetException(new IOException(error));
}
