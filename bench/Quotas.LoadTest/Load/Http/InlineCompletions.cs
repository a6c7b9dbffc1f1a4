namespace Quotas.LoadTest.Load.Http;

/// <summary>
/// Makes this process handle a socket's completion on the thread that polled it instead of queueing it to the thread
/// pool. The generator's completion work is a few microseconds of parsing and counting, so the hop to a pool thread
/// (a wake-up, then that thread spinning for more work) cost more CPU than the work: CPU the server under test needs
/// on a two-core machine. .NET reads the variable once, when the first socket is polled, so this must run first.
/// Servers the generator starts do not inherit it (<see cref="Targets.ChildProcess"/> removes it).
/// </summary>
internal static class InlineCompletions
{
    public const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    public static void EnableForThisProcess() => Environment.SetEnvironmentVariable(Variable, "1");
}
