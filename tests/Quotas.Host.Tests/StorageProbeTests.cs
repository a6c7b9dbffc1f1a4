using Grains.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Quotas.Host.Tests;

/// <summary>The readiness probe of a cluster's storage: reachable is not enough when every write would be refused.</summary>
public sealed class StorageProbeTests
{
    [Fact]
    public async Task PostgreSql_that_answers_but_takes_no_writes_is_not_ready()
    {
        var writable = Probe(TestDatabases.PostgreSqlConnectionString);
        var readOnly = Probe(TestDatabases.PostgreSqlConnectionString + ";Options=-c default_transaction_read_only=on");

        Assert.Null(await writable.CheckAsync(CancellationToken.None));
        Assert.Equal("PostgreSql storage is read-only (a standby, or transaction_read_only on; the log says more)", await readOnly.CheckAsync(CancellationToken.None));
    }

    private static StorageProbe Probe(string connectionString) =>
        new(new HostSettings { Storage = StorageKind.PostgreSql, PostgreSqlConnectionString = connectionString }, NullLogger<StorageProbe>.Instance);
}
