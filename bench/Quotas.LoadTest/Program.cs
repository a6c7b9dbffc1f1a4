using System.Runtime.InteropServices;
using Quotas.LoadTest;
using Quotas.LoadTest.Load.Http;
using Quotas.LoadTest.Servers;
using Quotas.LoadTest.Targets;

// Two commands in one assembly, so that the generator can start its baseline servers from its own build output:
//   Quotas.LoadTest [options]                 the load test (see --help, README.md)
//   Quotas.LoadTest serve <kind> --port N ... one baseline server, started by the load test
if (args is not [ServeCommand.Name, ..])
{
    InlineCompletions.EnableForThisProcess();
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

// SIGTERM unwinds like Ctrl+C, so that the servers this process started are stopped too.
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.Cancel();
});

try
{
    return args is [ServeCommand.Name, .. var rest]
        ? await ServeCommand.RunAsync(rest, stop.Token)
        : await LoadTestRun.RunAsync(args, stop.Token);
}
catch (StartupException e)
{
    Console.Error.WriteLine($"Load test failed: {e.Message}");
    return 1;
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    Console.Error.WriteLine("Load test stopped.");
    return 130;
}
catch (Exception e) when (e is HttpRequestException or IOException or TimeoutException)
{
    // The servers are stopped by now (targets are disposed on the way out); say what broke, not only a stack trace.
    Console.Error.WriteLine($"Load test failed: {e.GetType().Name}: {e.Message}\n{e}");
    return 1;
}
