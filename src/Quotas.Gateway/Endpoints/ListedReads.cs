using Grains.Storage;

namespace Quotas.Gateway.Endpoints;

/// <summary>
/// Reads the items of a page listed by id. One whose stored state no longer reads fails the page with every such item
/// named (<see cref="UnreadableListedException"/>), rather than with an error that names none: an operator learns which
/// rows to repair, and a caller how to list the rest of the page around them meanwhile.
/// </summary>
internal static class ListedReads
{
    /// <param name="kind">What is listed, for the error ("tenant").</param>
    /// <param name="cursor">The cursor the page was asked with.</param>
    /// <param name="ids">The page's ids, in the list's order.</param>
    /// <param name="read">Reads one; null leaves it out (gone meanwhile).</param>
    public static async Task<List<T>> ReadAsync<T>(string kind, string? cursor, IReadOnlyList<string> ids, Func<string, Task<T?>> read)
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
        if (reads.FirstOrDefault(r => r.Unreadable is not null).Unreadable is { } first)
        {
            List<string> unreadable = [.. reads.Where(r => r.Unreadable is not null).Select(r => r.Id)];
            throw new UnreadableListedException(kind, unreadable, Around(cursor, ids, unreadable.ToHashSet(StringComparer.Ordinal)), first);
        }

        return [.. reads.Select(r => r.Item).OfType<T>()];
    }

    /// <summary>
    /// The queries that list the page's readable items and the rest of the list: each run of them between unreadable ids
    /// (from the cursor before it, as many as it holds), then on from the last unreadable id.
    /// </summary>
    private static List<string> Around(string? cursor, IReadOnlyList<string> ids, HashSet<string> unreadable)
    {
        var queries = new List<string>();
        var from = cursor;
        var run = 0;
        foreach (var id in ids)
        {
            if (!unreadable.Contains(id))
            {
                run++;
                continue;
            }

            if (run > 0)
            {
                queries.Add(Query(from, run));
            }

            (from, run) = (id, 0);
        }

        queries.Add(Query(from, null));
        return queries;
    }

    private static string Query(string? cursor, int? limit) =>
        "?" + string.Join('&', new[] { cursor is null ? null : $"cursor={Uri.EscapeDataString(cursor)}", limit is null ? null : $"limit={limit}" }.OfType<string>());
}

/// <summary>
/// Items of a listed page whose stored state cannot be read (500 <c>state_unreadable</c> naming them, and the queries
/// that list the rest of the page around them); the first one's error is the cause.
/// </summary>
internal sealed class UnreadableListedException(string kind, IReadOnlyList<string> ids, IReadOnlyList<string> around, Exception cause)
    : Exception($"The stored state of {kind} {string.Join(", ", ids.Select(id => $"'{id}'"))} cannot be read.", cause)
{
    public IReadOnlyList<string> Ids { get; } = ids;

    /// <summary>Queries of the same list that give its other items: the page's before, between and after the unreadable ones.</summary>
    public IReadOnlyList<string> Around { get; } = around;
}
