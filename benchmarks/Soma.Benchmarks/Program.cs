using BenchmarkDotNet.Running;
using Soma.Benchmarks;

// `runner` runs the durable-step load driver; anything else goes to BenchmarkDotNet, e.g. `--filter '*Validation*'`.
// See docs/operations/benchmarks.md.
if (args is ["runner", ..])
{
    return await RunnerLoad.RunAsync(args);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
