using System.CommandLine;
using System.Text.Json;
using Soma.Policy.Bundles;
using Soma.Policy.Rego;
using Soma.Policy.Rego.Values;

namespace Soma.Server.Cli;

/// <summary>
/// <c>soma policy</c>, the policy author's sandbox, with <c>opa</c>'s flags: <c>eval</c> a query over files, <c>test</c>
/// the <c>test_</c> rules, <c>check</c> that files parse and compile, and <c>replay</c> audited traffic against a
/// candidate folder. Exit codes: 0 done, 1 the policy is wrong (errors, failed tests, <c>--fail</c> on undefined),
/// 2 the command line is (a missing file, a bad flag value, an input that is not JSON/YAML).
/// </summary>
internal static partial class PolicyCommand
{
    private static readonly JsonSerializerOptions Pretty = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create()
    {
        var policy = new Command("policy", "Write, test and try policies (Rego), with opa's flags.") { Eval(), TestCommand(), Check(), Replay() };
        return policy;
    }

    private static Command Eval()
    {
        var data = new Option<string[]>("--data", "-d") { Description = "Policy and data files or folders (.rego, .json, .yaml); repeatable.", HelpName = "path" };
        var input = new Option<string?>("--input", "-i") { Description = "The input document (a .json or .yaml file).", HelpName = "file" };
        var format = new Option<string>("--format", "-f") { Description = "json (default: {\"result\": …}, {} when undefined), raw (the value alone), pretty (indented).", DefaultValueFactory = _ => "json", HelpName = "json|raw|pretty" };
        var fail = new Option<bool>("--fail") { Description = "Exit 1 when the result is undefined." };
        var explain = new Option<bool>("--explain") { Description = "Also print the rules that fired, with their file:line:column (on standard error)." };
        var query = new Argument<string>("query") { Description = "The query, e.g. data.soma.tools.decision." };
        var eval = new Command("eval", "Evaluate a query over policy files.") { data, input, format, fail, explain, query };
        eval.SetAction(parse => EvalAsync(parse.GetValue(data) ?? [], parse.GetValue(input), parse.GetValue(format)!, parse.GetValue(fail), parse.GetValue(explain), parse.GetValue(query)!));
        return eval;
    }

    private static Command Check()
    {
        var paths = new Argument<string[]>("path") { Description = "Policy files or folders.", Arity = ArgumentArity.OneOrMore };
        var check = new Command("check", "Parse and compile policy files; errors name file:line:column.") { paths };
        check.SetAction(parse => CheckAsync(parse.GetValue(paths)!));
        return check;
    }

    private static Task<int> EvalAsync(string[] paths, string? inputPath, string format, bool fail, bool explain, string query)
    {
        if (format is not ("json" or "raw" or "pretty"))
        {
            return BadInputAsync($"--format '{format}' is not one of json, raw, pretty.");
        }

        if (paths.Length == 0)
        {
            return BadInputAsync("give the policy with -d PATH (a .rego/.json/.yaml file or a folder).");
        }

        if (MissingPath(paths) is { } missing)
        {
            return BadInputAsync($"{missing}: no such file or folder.");
        }

        Value? input = null;
        if (inputPath is not null)
        {
            if (!File.Exists(inputPath))
            {
                return BadInputAsync($"--input {inputPath}: no such file.");
            }

            try
            {
                var text = File.ReadAllText(inputPath);
                input = inputPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? Value.ParseJson(text) : YamlData.Parse(inputPath, text).Value;
            }
            catch (Exception ex) when (ex is JsonException or RegoException)
            {
                return BadInputAsync($"--input {inputPath} is not a JSON or YAML document: {ex.Message}");
            }
        }

        var loaded = PolicyBundleLoader.Load(paths, TimeProvider.System.GetUtcNow(), runTests: false);
        if (loaded.Bundle is not { } bundle)
        {
            return ErrorsAsync(loaded.Errors);
        }

        var fired = new List<RuleTrace>();
        Value? value;
        try
        {
            value = bundle.Policy.Evaluate(query, input, new EvaluationOptions
            {
                Print = line => Console.Error.WriteLine(line),
                OnRuleFired = explain ? fired.Add : null,
            });
        }
        catch (RegoException ex)
        {
            return ErrorsAsync([ex.Message]);
        }

        Console.Out.WriteLine((format, value) switch
        {
            ("json", null) => "{}",
            ("json", _) => $"{{\"result\": {value.ToJson()}}}",
            (_, null) => "undefined",
            ("raw", StringValue s) => s.Value,
            ("raw", _) => value.ToJson(),
            _ => JsonSerializer.Serialize(value.ToJsonElement(), Pretty),
        });
        if (explain)
        {
            Console.Error.WriteLine(fired.Count == 0 ? "no rule fired" : "rules that fired:");
            foreach (var rule in fired)
            {
                Console.Error.WriteLine($"  {rule.Location}  {rule.Path}");
            }
        }

        return Task.FromResult(fail && value is null ? ExitCodes.Failed : ExitCodes.Ok);
    }

    private static Task<int> CheckAsync(string[] paths)
    {
        if (MissingPath(paths) is { } missing)
        {
            return BadInputAsync($"{missing}: no such file or folder.");
        }

        var loaded = PolicyBundleLoader.Load(paths, TimeProvider.System.GetUtcNow(), runTests: false);
        if (loaded.Bundle is not { } bundle)
        {
            return ErrorsAsync(loaded.Errors);
        }

        Console.Out.WriteLine($"ok: {bundle.Files.Count} files, packages {string.Join(", ", bundle.Policy.Packages)}; version {bundle.Version}");
        return Task.FromResult(ExitCodes.Ok);
    }

    private static string? MissingPath(IEnumerable<string> paths) => paths.FirstOrDefault(p => !File.Exists(p) && !Directory.Exists(p));

    private static async Task<int> BadInputAsync(string message)
    {
        await Console.Error.WriteLineAsync($"soma: {message}");
        return ExitCodes.BadInput;
    }

    private static async Task<int> ErrorsAsync(IEnumerable<string> errors)
    {
        var list = errors.ToList();
        await Console.Error.WriteLineAsync($"soma: {list.Count} error{(list.Count == 1 ? string.Empty : "s")}:");
        foreach (var error in list)
        {
            await Console.Error.WriteLineAsync($"  {error}");
        }

        return ExitCodes.Failed;
    }
}
