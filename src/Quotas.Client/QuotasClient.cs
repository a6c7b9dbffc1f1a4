using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Quotas.Client.Http;

namespace Quotas.Client;

/// <summary>
/// The typed client of the Quotas REST API, grouped as the API is: <see cref="Tenants"/>, <see cref="Admission"/>,
/// <see cref="Usage"/>, <see cref="Jobs"/>, <see cref="Pools"/>, <see cref="Workers"/> and the cluster's silos.
/// Register it with <c>services.AddQuotasClient(...)</c>, or construct it over your own <see cref="HttpClient"/>.
/// </summary>
public sealed class QuotasClient
{
    private readonly ApiTransport _api;

    public QuotasClient(HttpClient http, QuotasClientOptions options)
    {
        _api = new ApiTransport(http, options);
        Tenants = new TenantsApi(_api);
        Admission = new AdmissionApi(_api);
        Usage = new UsageApi(_api);
        Billing = new BillingApi(_api);
        Jobs = new JobsApi(_api);
        Pools = new PoolsApi(_api);
        Workers = new WorkersApi(_api);
    }

    /// <summary>The constructor the typed-client registration of <c>AddQuotasClient</c> uses.</summary>
    [ActivatorUtilitiesConstructor]
    public QuotasClient(HttpClient http, IOptions<QuotasClientOptions> options)
        : this(http, (options ?? throw new ArgumentNullException(nameof(options))).Value)
    {
    }

    public TenantsApi Tenants { get; }

    public AdmissionApi Admission { get; }

    public UsageApi Usage { get; }

    public BillingApi Billing { get; }

    public JobsApi Jobs { get; }

    public PoolsApi Pools { get; }

    public WorkersApi Workers { get; }

    /// <summary>The cluster's silos with their status (admin key), by address, fetched <paramref name="pageSize"/> at a time.</summary>
    public IAsyncEnumerable<SiloInfo> ListSilosAsync(int pageSize = 100, CancellationToken cancellationToken = default) =>
        _api.ListAsync<SiloInfo>("v1/cluster/silos", pageSize, cancellationToken);
}
