namespace Quotas.Client;

/// <summary>One page of a list as the API answers it; the SDK's list methods walk the pages for you.</summary>
internal interface IPage<out T>
{
    IReadOnlyList<T> Items { get; }

    string? NextCursor { get; }
}

/// <summary>A page of most lists.</summary>
internal sealed record Page<T>(IReadOnlyList<T> Items, string? NextCursor) : IPage<T>;

/// <summary>A page of every tenant's statements: also the tenants of the page whose stored state could not be read.</summary>
internal sealed record StatementPage(IReadOnlyList<BillingStatement> Items, string? NextCursor, IReadOnlyList<UnreadableTenant>? Unreadable)
    : IPage<BillingStatement>;
