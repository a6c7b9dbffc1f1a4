using Grains.Storage;

namespace Quotas.Gateway.Endpoints;

/// <summary>
/// Reads the items of a page listed by id. One whose stored state no longer reads fails the page with every such item
/// named (<see cref="UnreadableListedException"/>), rather than with an error that names none: an operator learns which
/// rows to repair, and a caller how to page past them meanwhile.
/// </summary>
internal static class ListedReads
{
    public static async Task<List<T>> ReadAsync<T>(string kind, IReadOnlyList<string> ids, Func<string, Task<T?>> read)
        where T : class
    {
        var reads = await Task.WhenAll(ids.Select(async id =>
        {
            try
            {
                return (Id: id, Item: await read(id), Unreadable: (GrainStateSerializationException?)null);
            }
            catch (GrainStateSerializationException e)
            {
                return (Id: id, Item: (T?)null, Unreadable: e);
            }
        }));
        var unreadable = reads.Where(r => r.Unreadable is not null).ToList();
        if (unreadable.Count > 0)
        {
            throw new UnreadableListedException(kind, [.. unreadable.Select(r => r.Id)], unreadable[0].Unreadable!);
        }

        return [.. reads.Select(r => r.Item).OfType<T>()];
    }
}

/// <summary>Items of a listed page whose stored state cannot be read (500 <c>state_unreadable</c> naming them); the first one's error is the cause.</summary>
internal sealed class UnreadableListedException(string kind, IReadOnlyList<string> ids, Exception cause)
    : Exception($"The stored state of {kind} {string.Join(", ", ids.Select(id => $"'{id}'"))} cannot be read.", cause)
{
    public string Kind { get; } = kind;

    public IReadOnlyList<string> Ids { get; } = ids;
}
