using Grains;
using Microsoft.Extensions.DependencyInjection;
using Quotas.Contracts;

namespace Quotas.Gateway.Tests;

public sealed class DemoTenantsTests
{
    /// <summary>The embedded mode seeds at every start: a demo tenant or pool an operator deleted stays deleted.</summary>
    [Fact]
    public async Task Seeding_again_leaves_deleted_demo_tenants_and_the_deleted_demo_pool_deleted()
    {
        await using var server = await GatewayServer.StartAsync(Backend.EmbeddedSqlite);
        var grains = server.Services.GetRequiredService<IGrainFactory>();
        await DemoTenants.SeedAsync(grains);
        var basic = grains.GetGrain<ITenantGrain>("demo-basic");
        await basic.Suspend();
        await basic.Delete(force: true);
        await grains.GetGrain<IFairShareSchedulerGrain>(DemoTenants.Pool.Id).Delete(force: true);

        await DemoTenants.SeedAsync(grains);

        Assert.Equal("unknown_tenant", (await Assert.ThrowsAsync<Quotas.Core.Tenants.QuotaValidationException>(() => basic.GetConfig())).Code);
        Assert.Null(await grains.GetGrain<IFairShareSchedulerGrain>(DemoTenants.Pool.Id).GetConfig());
        Assert.Equal("demo-premium", (await grains.GetGrain<ITenantGrain>("demo-premium").GetConfig()).Id.Value);
    }
}
