using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Soma.Tools.BuiltIn;
using Soma.Tools.Invocation;
using Soma.Tools.Registry;

namespace Soma.Benchmarks;

/// <summary>
/// The cost the invoker adds before the policy: checking a call's arguments against its tool's schema (compiled once).
/// The baseline is parsing the arguments' JSON, which the invoker pays anyway.
/// </summary>
[MemoryDiagnoser]
public class ToolArgumentBenchmarks
{
    private readonly ToolArgumentValidator _validator = new();
    private ITool _tool = null!;
    private string _json = "";
    private JsonElement _arguments;

    [Params("time.now {}", "math.evaluate {expression}", "session.search {query, limit}")]
    public string Call { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        (_tool, _json) = Call switch
        {
            "time.now {}" => ((ITool)new TimeTools.NowTool(), "{}"),
            "math.evaluate {expression}" => (new MathEvaluateTool(), """{"expression":"(2 + 3) * 4 ^ 2 / sqrt(16)"}"""),
            _ => (new SessionSearchTool(null!), """{"query":"invoice march","limit":5}"""),
        };
        _arguments = JsonElement.Parse(_json);
        if (_validator.Validate(_tool, _arguments) is { } problem)
        {
            throw new InvalidOperationException($"{Call}: {problem}");
        }
    }

    [Benchmark(Baseline = true, Description = "parse the arguments")]
    public JsonValueKind Parse()
    {
        using var document = JsonDocument.Parse(_json);
        return document.RootElement.ValueKind;
    }

    [Benchmark(Description = "validate against the tool's schema")]
    public bool Validate() => _validator.Validate(_tool, _arguments) is null;
}
