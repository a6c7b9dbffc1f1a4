using Quotas.Core.Tenants;

namespace Quotas.Core.Tests.Tenants;

public sealed class LeaseIdsTests
{
    [Theory]
    [InlineData("acme:17", "acme")]
    [InlineData("acme-eu-2:1", "acme-eu-2")]
    [InlineData("no-sequence", null)]
    [InlineData(":5", null)]
    [InlineData("Not_A_Tenant:5", null)]
    public void The_tenant_of_a_lease_is_read_back_from_its_id(string leaseId, string? tenant) =>
        Assert.Equal(tenant, LeaseIds.TenantOf(leaseId));

    [Fact]
    public void A_lease_id_names_its_tenant_and_sequence() =>
        Assert.Equal("acme:42", LeaseIds.For(TenantId.Parse("acme"), 42));
}
