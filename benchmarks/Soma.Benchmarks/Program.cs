using BenchmarkDotNet.Running;

// Runs the benchmarks picked on the command line, e.g. `--filter '*Validation*'`; see docs/operations/benchmarks.md.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
