namespace Grains.AdoNet.Tests;

public interface INoteGrain : IGrainWithStringKey
{
    Task Append(string line);

    Task<IReadOnlyList<string>> Lines();
}

public sealed class NoteState
{
    public List<string> Lines { get; set; } = [];
}

public sealed class NoteGrain([PersistentState("note")] IPersistentState<NoteState> note) : Grain, INoteGrain
{
    public Task Append(string line)
    {
        note.State.Lines.Add(line);
        return note.WriteStateAsync();
    }

    public Task<IReadOnlyList<string>> Lines() => Task.FromResult<IReadOnlyList<string>>(note.State.Lines);
}

/// <summary>A note kept as entries: one per line number, so adding a line writes that line only.</summary>
public interface ILineNoteGrain : IGrainWithStringKey
{
    Task Put(int number, string? line);

    Task<IReadOnlyDictionary<string, string>> Lines();
}

public sealed record NoteLine(string Text);

public sealed class LineNoteGrain([PersistentState("lines")] IPersistentEntries<NoteLine> lines) : Grain, ILineNoteGrain
{
    public Task Put(int number, string? line) =>
        lines.WriteAsync([new KeyValuePair<string, NoteLine?>($"line/{number}", line is null ? null : new NoteLine(line))]);

    public Task<IReadOnlyDictionary<string, string>> Lines() =>
        Task.FromResult<IReadOnlyDictionary<string, string>>(lines.Entries.ToDictionary(e => e.Key, e => e.Value.Text));
}
