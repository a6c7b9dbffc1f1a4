using Quotas.LoadTest.Load;

namespace Quotas.LoadTest.Targets;

/// <summary>A system the generator measures: started in processes of its own, stopped when disposed.</summary>
internal interface ILoadTarget : IAsyncDisposable, IServerMeter
{
    string Name { get; }

    string Description { get; }

    /// <summary>Starts the server processes, prepares the tenants and answers the request of every tenant.</summary>
    Task<RequestPlan> StartAsync(CancellationToken cancellationToken);
}
