using BenchmarkDotNet.Running;
using Grains.Benchmarks;

// Recorded figures (see RESULTS.md):
//   dotnet run -c Release --project bench/Grains.Benchmarks -- --filter '*LocalCall*'
//   dotnet run -c Release --project bench/Grains.Benchmarks -- cross-silo
//   dotnet run -c Release --project bench/Grains.Benchmarks -- failover
//   dotnet run -c Release --project bench/Grains.Benchmarks -- sqlite-writers [callers] [seconds]
// Quick side-by-side while working on the local call path: ... -- quick
switch (args)
{
    case ["quick"]:
        await QuickCompare.RunAsync();
        break;
    case ["cross-silo"]:
        await CrossSiloComparison.RunAsync(Console.Out);
        break;
    case ["cross-silo-profile"]:
        await CrossSiloComparison.ProfileAsync(TimeSpan.FromSeconds(30));
        break;
    case ["failover", ..]:
        await FailoverMeasurement.RunAsync(Console.Out, args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10);
        break;
    case ["sqlite-writers", ..]:
        await SqliteWriters.RunAsync(
            Console.Out,
            args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 64,
            TimeSpan.FromSeconds(args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 10));
        break;
    default:
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        break;
}
