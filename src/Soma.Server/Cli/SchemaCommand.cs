using System.CommandLine;
using System.Text.Json;
using Soma.Contracts.Schemas;

namespace Soma.Server.Cli;

/// <summary><c>soma schema check|list</c>: validates JSON events against the built-in schema registry.</summary>
internal static class SchemaCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("files") { Description = "JSON files holding one event or an array of events; '-' or none reads stdin.", Arity = ArgumentArity.ZeroOrMore };
        var json = new Option<bool>("--json") { Description = "Print the results as JSON." };
        var check = new Command("check", "Validate events against their schema (chosen by each event's 'schema' field). Exit 0 valid, 1 invalid, 2 unreadable.") { files, json };
        check.SetAction(parse => Check(parse.GetValue(files) ?? [], parse.GetValue(json), Console.In, Console.Out, Console.Error));

        var list = new Command("list", "List the schemas this build knows.");
        list.SetAction(_ =>
        {
            foreach (var name in SchemaRegistry.Default.SchemaNames.Order(StringComparer.Ordinal))
            {
                Console.Out.WriteLine(name);
            }

            return ExitCodes.Ok;
        });
        return new Command("schema", "Event contracts.") { check, list };
    }

    internal static int Check(IReadOnlyList<string> paths, bool asJson, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        var validator = new EventValidator(SchemaRegistry.Default);
        var inputs = paths.Count == 0 ? ["-"] : paths;
        var results = new List<CheckedEvent>();
        var unreadable = false;
        foreach (var path in inputs)
        {
            var name = path == "-" ? "<stdin>" : path;
            JsonDocument document;
            try
            {
                var text = path == "-" ? stdin.ReadToEnd() : File.ReadAllText(path);
                document = JsonDocument.Parse(text);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"soma: cannot read {name}: {ex.Message}");
                unreadable = true;
                continue;
            }
            catch (JsonException ex)
            {
                stderr.WriteLine($"soma: {name} is not JSON (line {ex.LineNumber + 1}, position {ex.BytePositionInLine + 1}).");
                unreadable = true;
                continue;
            }

            using (document)
            {
                var root = document.RootElement;
                if (root.ValueKind == JsonValueKind.Array)
                {
                    var index = 0;
                    foreach (var item in root.EnumerateArray())
                    {
                        results.Add(new CheckedEvent($"{name}[{index++}]", validator.Validate(item)));
                    }
                }
                else
                {
                    results.Add(new CheckedEvent(name, validator.Validate(root)));
                }
            }
        }

        if (asJson)
        {
            stdout.WriteLine(JsonSerializer.Serialize(results.Select(r => new
            {
                source = r.Source,
                schema = r.Result.Schema,
                valid = r.Result.IsValid,
                errors = r.Result.Errors.Select(e => new { pointer = e.Pointer, message = e.Message }),
            })));
        }
        else
        {
            foreach (var (source, result) in results)
            {
                stdout.WriteLine($"{(result.IsValid ? "valid  " : "INVALID")} {source} ({result.Schema ?? "no schema"})");
                foreach (var error in result.Errors)
                {
                    stdout.WriteLine($"    {(error.Pointer.Length == 0 ? "/" : error.Pointer)}: {error.Message}");
                }
            }
        }

        return unreadable ? ExitCodes.BadInput
            : results.Exists(r => !r.Result.IsValid) ? ExitCodes.Failed
            : ExitCodes.Ok;
    }

    private sealed record CheckedEvent(string Source, ValidationResult Result);
}
