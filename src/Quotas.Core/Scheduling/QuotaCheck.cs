namespace Quotas.Core.Scheduling;

/// <summary>
/// Asked before a job is leased: may <paramref name="tenant"/> take <paramref name="demand"/> more now?
/// False leaves the job queued and moves on to the next tenant.
/// </summary>
public delegate bool QuotaCheck(TenantId tenant, ResourceVector demand);
