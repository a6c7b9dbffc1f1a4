namespace Quotas.LoadTest.Targets;

/// <summary>Readiness checks over HTTP: a GET that answers 200 within a second.</summary>
internal static class HttpProbe
{
    private static readonly HttpClient s_client = new() { Timeout = TimeSpan.FromSeconds(1) };

    public static Func<CancellationToken, Task<bool>> Answers200(Uri uri) => async cancellationToken =>
    {
        try
        {
            using var response = await s_client.GetAsync(uri, cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    };
}
