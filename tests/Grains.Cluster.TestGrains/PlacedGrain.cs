using System.Collections.Concurrent;

namespace Grains.Cluster.TestGrains;

/// <summary>Shared by every silo of an in-process cluster: which silo activated which grain, how often.</summary>
public sealed class ActivationLedger
{
    private readonly ConcurrentDictionary<string, int> _activations = new();
    private readonly ConcurrentDictionary<string, string> _hosts = new();

    public int ActivationsOf(string key) => _activations.GetValueOrDefault(key);

    public IReadOnlyDictionary<string, int> Activations => _activations;

    public string? HostOf(string key) => _hosts.GetValueOrDefault(key);

    public void Activated(string key, string silo)
    {
        _activations.AddOrUpdate(key, 1, (_, n) => n + 1);
        _hosts[key] = silo;
    }

    private readonly ConcurrentDictionary<string, (TaskCompletionSource Entered, TaskCompletionSource Released)> _gates = new();

    /// <summary>Completes once a grain's <see cref="IPlacedGrain.Hold"/> runs.</summary>
    public Task Entered(string key) => Gate(key).Entered.Task;

    /// <summary>Lets a grain's <see cref="IPlacedGrain.Hold"/> return.</summary>
    public void Release(string key) => Gate(key).Released.TrySetResult();

    internal (TaskCompletionSource Entered, TaskCompletionSource Released) Gate(string key) =>
        _gates.GetOrAdd(key, _ => (new(TaskCreationOptions.RunContinuationsAsynchronously), new(TaskCreationOptions.RunContinuationsAsynchronously)));
}

public interface IPlacedGrain : IGrainWithStringKey
{
    /// <summary>Adds to the persisted total; returns the new total.</summary>
    Task<int> Add(int amount);

    [Idempotent]
    Task<int> Total();

    Task<string> Silo();

    Task Fail(string message);

    Task FailWithCode(string code, string message);

    /// <summary>Returns a result whose serialisation throws, as a result type with a faulty getter would.</summary>
    Task<UnsendableResult> Unsendable();

    /// <summary>Returns a result that is sent but cannot be read back, as a result type with a faulty setter would.</summary>
    Task<UnreadableValue> Unreadable();

    /// <summary>Takes an argument that is sent but cannot be read back.</summary>
    Task<string> Accept(UnreadableValue value);

    /// <summary>Runs until the test releases it (<see cref="ActivationLedger.Release"/>), keeping the grain busy.</summary>
    Task Hold();

    /// <summary><see cref="Hold"/> as a method the runtime may retry after a lost connection.</summary>
    [Idempotent]
    Task HoldRetryable();

    /// <summary>Throws an exception whose own <c>Code</c> throws when read, as a faulty exception type's would.</summary>
    Task FailUnsendably();

    /// <summary>Returns <paramref name="count"/> copies of <paramref name="c"/>: a large answer to a small call.</summary>
    Task<string> Repeat(char c, int count);
}

/// <summary>An error that cannot be sent as it is: reading its code throws.</summary>
public sealed class UnsendableCodeException : Exception
{
    public UnsendableCodeException()
        : base("an error with a faulty code")
    {
    }

    public string Code => throw new InvalidOperationException("a faulty code getter");
}

/// <summary>A value the codec writes but cannot read: setting its one property throws what a faulty setter would.</summary>
public sealed class UnreadableValue
{
    public string Value
    {
        get => "sent";
        set => throw new InvalidOperationException("a faulty setter");
    }
}

/// <summary>A result the codec cannot write: reading its one property throws what a faulty getter would.</summary>
public sealed class UnsendableResult
{
    public string Value => throw new NullReferenceException("a faulty getter");
}

/// <summary>An error with a stable code, shaped like the quota service's validation errors.</summary>
public sealed class CodedException(string code, string message) : Exception(message)
{
    public CodedException()
        : this("none", "no code")
    {
    }

    public string Code { get; } = code;
}

public sealed class PlacedState
{
    public int Total { get; set; }
}

public sealed class PlacedGrain([PersistentState("placed")] IPersistentState<PlacedState> state, ActivationLedger ledger, Grains.Cluster.LocalSilo silo)
    : Grain, IPlacedGrain
{
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        ledger.Activated(GetPrimaryKeyString(), silo.Name);
        return Task.CompletedTask;
    }

    public async Task<int> Add(int amount)
    {
        state.State.Total += amount;
        await state.WriteStateAsync();
        return state.State.Total;
    }

    public Task<int> Total() => Task.FromResult(state.State.Total);

    public Task<string> Silo() => Task.FromResult(silo.Name);

    public Task Fail(string message) => throw new InvalidOperationException(message);

    public Task FailWithCode(string code, string message) => throw new CodedException(code, message);

    public Task<UnsendableResult> Unsendable() => Task.FromResult(new UnsendableResult());

    public Task<UnreadableValue> Unreadable() => Task.FromResult(new UnreadableValue());

    public Task<string> Accept(UnreadableValue value) => Task.FromResult(value.Value);

    public Task FailUnsendably() => throw new UnsendableCodeException();

    public Task<string> Repeat(char c, int count) => Task.FromResult(new string(c, count));

    public Task HoldRetryable() => Hold();

    public async Task Hold()
    {
        var (entered, released) = ledger.Gate(GetPrimaryKeyString());
        entered.TrySetResult();
        await released.Task;
    }
}

/// <summary>A grain whose first activation waits in OnActivateAsync until the test releases it or the silo stops.</summary>
public interface ISlowStartGrain : IGrainWithStringKey
{
    Task<string> Silo();
}

public sealed class SlowStartGrain(ActivationLedger ledger, Grains.Cluster.LocalSilo silo) : Grain, ISlowStartGrain
{
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = GetPrimaryKeyString();
        ledger.Activated(key, silo.Name);
        if (ledger.ActivationsOf(key) == 1)
        {
            var (entered, released) = ledger.Gate(key);
            entered.TrySetResult();
            await released.Task.WaitAsync(cancellationToken);
        }
    }

    public Task<string> Silo() => Task.FromResult(silo.Name);
}
