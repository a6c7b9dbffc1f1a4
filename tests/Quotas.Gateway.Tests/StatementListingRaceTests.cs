using Grains;
using Grains.Testing;
using Quotas.Contracts.Gateway;

namespace Quotas.Gateway.Tests;

/// <summary>The month's statements list every tenant that owes it, also one deleted while the page is read.</summary>
public sealed class StatementListingRaceTests
{
    private const string Budgets = """[{"name":"jobs","kind":"budget","limit":-1,"period":"month"}]""";

    [Fact]
    public async Task A_tenant_deleted_while_the_page_reads_the_tenant_lists_is_on_the_page()
    {
        var held = new HeldLiveList();
        await using var server = await GatewayServer.StartAsync(
            Backend.EmbeddedSqlite,
            time: new ManualTimeProvider(new DateTimeOffset(2026, 12, 5, 12, 0, 0, TimeSpan.Zero)),
            wrapGrains: grains => new DirectoryGrains(grains, held));
        using var admin = server.Admin();
        await admin.CreateTenantWithKey("acme", Budgets);
        using (var carol = server.Client(await admin.CreateTenantWithKey("carol", Budgets)))
        {
            await (await carol.PostJson("/v1/tenants/carol/usage", """{"quota":"jobs","amount":5,"eventId":"e1"}""")).Ok(201);
        }

        await (await admin.PostEmpty("/v1/tenants/carol/suspend")).Ok();

        // The page's read of the existing tenants waits while carol is deleted: carol moves from that list to the list
        // of deleted tenants in between. A page that read the deleted tenants before the delete would miss carol.
        held.Armed = true;
        var listing = admin.GetAsync("/v1/statements/2026-12");
        await held.Reached.Task.WaitAsync(TimeSpan.FromSeconds(30));
        try
        {
            await (await admin.DeleteAsync("/v1/tenants/carol")).Ok(204);
        }
        finally
        {
            held.Release.TrySetResult();
        }

        var page = await (await listing).Ok();
        Assert.Equal(["acme", "carol"], page["items"]!.AsArray().Select(i => (string)i!["tenantId"]!));
        Assert.Equal(5, (long)page["items"]![1]!["lines"]!.AsArray().Single(l => (string?)l!["meter"] == "jobs")!["quantity"]!);
    }

    /// <summary>Holds the first read of the existing tenants' list once armed, until released.</summary>
    private sealed class HeldLiveList
    {
        public volatile bool Armed;

        public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class DirectoryGrains(IGrainFactory inner, HeldLiveList held) : IGrainFactory
    {
        public TGrainInterface GetGrain<TGrainInterface>(string primaryKey)
            where TGrainInterface : IGrainWithStringKey
        {
            var grain = inner.GetGrain<TGrainInterface>(primaryKey);
            return grain is ITenantDirectoryGrain directory && primaryKey == ITenantDirectoryGrain.Key
                ? (TGrainInterface)(object)new HeldDirectory(directory, held)
                : grain;
        }

        public TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey)
            where TGrainInterface : IGrainWithGuidKey => inner.GetGrain<TGrainInterface>(primaryKey);

        public TGrainInterface GetGrain<TGrainInterface>(long primaryKey)
            where TGrainInterface : IGrainWithIntegerKey => inner.GetGrain<TGrainInterface>(primaryKey);
    }

    private sealed class HeldDirectory(ITenantDirectoryGrain inner, HeldLiveList held) : ITenantDirectoryGrain
    {
        public Task Add(string tenantId) => inner.Add(tenantId);

        public Task Remove(string tenantId) => inner.Remove(tenantId);

        public async Task<IReadOnlyList<string>> List(string? after, int limit)
        {
            if (held.Armed && held.Reached.TrySetResult())
            {
                await held.Release.Task;
            }

            return await inner.List(after, limit);
        }
    }
}
