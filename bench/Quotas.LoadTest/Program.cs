using System.Runtime.InteropServices;
using Quotas.LoadTest.Servers;

// Quotas.LoadTest serve <kind> --port N ...: one baseline server for the load test.
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.Cancel();
});

if (args is not [ServeCommand.Name, .. var rest])
{
    Console.Error.WriteLine(ServeOptions.Usage);
    return 2;
}

return await ServeCommand.RunAsync(rest, stop.Token);
