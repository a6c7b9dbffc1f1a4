using System.Security.Cryptography;
using System.Text;

namespace Quotas.Core.Tenants;

/// <summary>
/// The event id under which a parent counts usage a child recorded: the child's id and its event id, so that each
/// ancestor counts an event once however often it is passed on, and events of different children never meet. Callers
/// may not use the prefix (the gateway refuses it, as it refuses <see cref="TenantQuotas.PoolJobKeyPrefix"/>).
/// </summary>
public static class ChildEvents
{
    public const string Prefix = "child/";

    public static string EventIdFor(TenantId child, string eventId)
    {
        var id = $"{Prefix}{child}/{eventId}";
        if (id.Length <= Guard.MaxKeyLength)
        {
            return id;
        }

        // Too long to keep as it is (a grandchild's id passed on again): the same event always hashes the same.
        var hash = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(eventId))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return $"{Prefix}{child}/#{hash}";
    }
}
