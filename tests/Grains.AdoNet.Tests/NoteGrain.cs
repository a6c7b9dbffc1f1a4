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
