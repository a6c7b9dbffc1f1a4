using Grains;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Quotas.Contracts;
using Quotas.Contracts.Gateway;
using Quotas.Core.Tenants;
using Quotas.Gateway.Api;
using Quotas.Gateway.Auth;

namespace Quotas.Gateway.Endpoints;

/// <summary>Tenant administration: create, list, read, update quotas, suspend, activate, delete.</summary>
internal static class TenantEndpoints
{
    public static void MapTenantEndpoints(this RouteGroupBuilder v1)
    {
        var admin = v1.MapGroup("/tenants").WithTags("Tenants").RequireAdmin();
        admin.MapPost("/", Create).WithName("CreateTenant")
            .Produces<TenantResponse>(StatusCodes.Status201Created).ReadsBody().ProducesProblem(StatusCodes.Status409Conflict);
        admin.MapGet("/", List).WithName("ListTenants").IsPaged();
        // 409 for an update that leaves out a gauge with live leases (they would be dropped uncounted).
        admin.MapPut("/{tenantId}/quotas", UpdateQuotas).WithName("UpdateTenantQuotas").ReadsBody().NamesById().ProducesProblem(StatusCodes.Status409Conflict);
        admin.MapPost("/{tenantId}/suspend", Suspend).WithName("SuspendTenant").NamesById();
        admin.MapPost("/{tenantId}/activate", Activate).WithName("ActivateTenant").NamesById();
        // 409 while the tenant is active or holds leases (without force), or while a pool it used is being deleted.
        admin.MapDelete("/{tenantId}", Delete).WithName("DeleteTenant")
            .Produces(StatusCodes.Status204NoContent).NamesById().ProducesProblem(StatusCodes.Status409Conflict);

        v1.MapGet("/tenants/{tenantId}", Get).WithTags("Tenants").WithName("GetTenant").RequireTenantOrAdmin();
    }

    private static async Task<IResult> Create(CreateTenantRequest request, IGrainFactory grains)
    {
        var config = new TenantConfig(
            TenantId.Parse(request.Id ?? ""),
            request.Name ?? request.Id!,
            request.Tier,
            [.. (request.Quotas ?? []).Select(q => q.ToDefinition())],
            TenantStatus.Active,
            request.ParentId is null ? null : TenantId.Parse(request.ParentId),
            request.AlertThresholds,
            request.TimeZone ?? "UTC");
        var tenant = grains.GetGrain<ITenantGrain>(config.Id.Value);
        var created = await tenant.Create(config);
        var response = TenantResponse.From(created, await tenant.GetEffectiveQuotas());
        return TypedResults.Created($"/v1/tenants/{created.Id}", response);
    }

    private static async Task<TenantResponse> Get(string tenantId, IGrainFactory grains) => await Read(grains, tenantId);

    private static async Task<Page<TenantResponse>> List(HttpContext context, IGrainFactory grains, string? cursor, int? limit)
    {
        var size = Paging.Limit(limit);
        var ids = await grains.GetGrain<ITenantDirectoryGrain>(ITenantDirectoryGrain.Key).List(cursor, size);
        var tenants = await ListedReads.ReadAsync("tenant", cursor, ids, id => TryRead(grains, id));
        var next = ids.Count == size ? ids[^1] : null;
        return Paging.Page(context, tenants, next);
    }

    private static async Task<TenantResponse> UpdateQuotas(string tenantId, UpdateQuotasRequest request, IGrainFactory grains)
    {
        var tenant = grains.GetGrain<ITenantGrain>(tenantId);
        var config = await tenant.UpdateQuotas([.. (request.Quotas ?? []).Select(q => q.ToDefinition())]);
        return TenantResponse.From(config, await tenant.GetEffectiveQuotas());
    }

    private static async Task<TenantResponse> Suspend(string tenantId, IGrainFactory grains)
    {
        await grains.GetGrain<ITenantGrain>(tenantId).Suspend();
        return await Read(grains, tenantId);
    }

    private static async Task<TenantResponse> Activate(string tenantId, IGrainFactory grains)
    {
        await grains.GetGrain<ITenantGrain>(tenantId).Activate();
        return await Read(grains, tenantId);
    }

    private static async Task<IResult> Delete(string tenantId, IGrainFactory grains, CallerResolver callers, bool? force)
    {
        try
        {
            await grains.GetGrain<ITenantGrain>(tenantId).Delete(force ?? false);
        }
        finally
        {
            // The delete revokes the tenant's keys: this gateway stops trusting every one of them at once (others when
            // their cache entry ends, Gateway:ApiKeyCacheDuration), also a key issued while the delete ran. Also when
            // the delete failed or timed out: it may have revoked them all the same, and forgetting a key that is still
            // valid only has it checked again at its next use.
            callers.ForgetTenant(tenantId);
        }

        return TypedResults.NoContent();
    }

    private static async Task<TenantResponse> Read(IGrainFactory grains, string tenantId)
    {
        var tenant = grains.GetGrain<ITenantGrain>(tenantId);
        var config = await tenant.GetConfig();
        return TenantResponse.From(config, await tenant.GetEffectiveQuotas());
    }

    // A listed tenant whose creation failed, or that was deleted meanwhile, is left out.
    private static async Task<TenantResponse?> TryRead(IGrainFactory grains, string tenantId)
    {
        try
        {
            return await Read(grains, tenantId);
        }
        catch (QuotaValidationException e) when (e.Code == "unknown_tenant")
        {
            return null;
        }
    }
}
