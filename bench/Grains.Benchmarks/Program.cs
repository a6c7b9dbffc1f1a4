using BenchmarkDotNet.Running;
using Grains.Benchmarks;

// Recorded figures: dotnet run -c Release --project bench/Grains.Benchmarks -- --filter '*'
// Quick side-by-side while working on the call path: dotnet run -c Release --project bench/Grains.Benchmarks -- quick
if (args is ["quick"])
{
    await QuickCompare.RunAsync();
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
