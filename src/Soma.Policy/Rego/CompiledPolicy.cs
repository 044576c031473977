using System.Collections.Concurrent;
using System.Diagnostics;
using Soma.Policy.Rego.Compilation;
using Soma.Policy.Rego.Evaluation;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego;

/// <summary>
/// A compiled set of modules and base data. Immutable and safe to use from many threads: each evaluation has its
/// own state. Queries are compiled once (<see cref="Prepare"/>) and cached.
/// </summary>
public sealed class CompiledPolicy
{
    private const int MaxCachedQueries = 1024;
    private readonly Compiler _compiler;
    private readonly Lock _compileLock = new();
    private readonly ConcurrentDictionary<string, PreparedQuery> _queries = new(StringComparer.Ordinal);

    internal CompiledPolicy(Compiler compiler, Value data)
    {
        _compiler = compiler;
        Model = new PolicyModel(compiler.Root, compiler.NodeCount, data);
        Packages = [.. compiler.Packages.Order(StringComparer.Ordinal)];
    }

    internal PolicyModel Model { get; }

    /// <summary>The packages the modules define.</summary>
    public IReadOnlyList<string> Packages { get; }

    /// <summary>Parses and compiles a query once, e.g. <c>data.soma.tools.decision</c> or <c>x := data.a; x > 1</c>.</summary>
    public PreparedQuery Prepare(string query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (_queries.TryGetValue(query, out var prepared))
        {
            return prepared;
        }

        var parsed = RegoParser.ParseQuery(query);
        lock (_compileLock)
        {
            var plan = _compiler.CompileQuery(parsed);
            prepared = new PreparedQuery(this, plan);
        }

        // Decision queries are few and fixed; ad-hoc queries (a CLI, tests) must not grow the cache without bound.
        return _queries.Count < MaxCachedQueries ? _queries.GetOrAdd(query, prepared) : prepared;
    }

    /// <summary>
    /// Evaluates a query and returns its first result: the value of a single expression (a reference such as
    /// <c>data.p.allow</c>), else the bindings of the query's variables as an object; C# null when undefined.
    /// </summary>
    public Value? Evaluate(string query, Value? input = null, EvaluationOptions? options = null) => Prepare(query).Evaluate(input, options);

    /// <summary>Runs every rule named <c>test_*</c> as <c>opa test</c> does: a test passes when defined and not false.</summary>
    public IReadOnlyList<RegoTestResult> RunTests(EvaluationOptions? options = null)
    {
        var results = new List<RegoTestResult>();
        foreach (var node in Model.Root.Descendants())
        {
            if (node.Complete.Count == 0 || node.Key is not StringValue { Value: var name } || !name.StartsWith("test_", StringComparison.Ordinal))
            {
                continue;
            }

            var package = node.Parent!.Name;
            var started = Stopwatch.GetTimestamp();
            try
            {
                var value = new Evaluator(Model, null, options).EvalNode(node);
                var passed = value is not null && value is not BooleanValue { Value: false };
                results.Add(new RegoTestResult(package, name, passed, null, Stopwatch.GetElapsedTime(started), node.Complete[0].Location));
            }
            catch (RegoException e)
            {
                results.Add(new RegoTestResult(package, name, false, e.Message, Stopwatch.GetElapsedTime(started), node.Complete[0].Location));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                results.Add(new RegoTestResult(package, name, false, $"internal evaluation error: {e.Message}", Stopwatch.GetElapsedTime(started), node.Complete[0].Location));
            }
        }

        return results;
    }
}
