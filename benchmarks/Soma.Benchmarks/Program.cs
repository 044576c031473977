using BenchmarkDotNet.Running;
using Soma.Benchmarks;

// `ci` is the benchmark job (a fixed set of drivers emitting agent.benchmarks.v1 events); `runner`, `ingest`, `first-delta`, `trace`, `relay`, `policy`, `sandbox`, `tool-call`, `sandbox-egress`, `sandbox-escapes`, `embed` and `memory-*` are load drivers; `recall` is the retrieval benchmark on the shipped dataset; anything else goes to BenchmarkDotNet, e.g.
// `--filter '*Validation*'`. See docs/operations/benchmarks.md.
switch (args)
{
    case ["ci", ..]:
        return await CiBench.RunAsync(args);
    case ["runner", ..]:
        return await RunnerLoad.RunAsync(args);
    case ["ingest", ..]:
        return await IngestLoad.RunAsync(args);
    case ["first-delta", ..]:
        return await FirstDeltaLoad.RunAsync(args);
    case ["trace", ..]:
        return await TraceLoad.RunAsync(args);
    case ["memory-drain", ..]:
        return await MemoryDrainLoad.RunAsync(args);
    case ["memory-ingest", ..]:
        return await MemoryIngestLoad.RunAsync(args);
    case ["memory-recall", ..]:
        return await MemoryRecallLoad.RunAsync(args);
    case ["recall", ..]:
        return await RecallBench.RunAsync(args);
    case ["relay", ..]:
        return await RelayLoad.RunAsync(args);
    case ["memory-outage", ..]:
        return await MemoryOutageLoad.RunAsync(args);
    case ["policy", ..]:
        return await PolicyLoad.RunAsync(args);
    case ["sandbox", ..]:
        return await SandboxLoad.RunAsync(args);
    case ["tool-call", ..]:
        return await SandboxLoad.RunToolCallAsync(args);
    case ["sandbox-egress", ..]:
        return await SandboxEgressLoad.RunAsync(args);
    case ["sandbox-escapes", ..]:
        return await SandboxEscapes.RunAsync(args);
    case ["embed", ..]:
        return await EmbedLoad.RunAsync(args);
}

BenchmarkSwitcher.FromAssembly(typeof(RunnerLoad).Assembly).Run(args);
return 0;
