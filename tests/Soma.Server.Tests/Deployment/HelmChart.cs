using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Soma.Testing;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Soma.Server.Tests.Deployment;

/// <summary>deploy/helm/soma and the offline tools that check it (helm, trivy, node with the Kubernetes schemas).</summary>
internal static partial class HelmChart
{
    public static string Directory => RepositoryFiles.Path("deploy", "helm", "soma");

    public static string ProductionValues => Path.Combine(Directory, "values-production.yaml");

    /// <summary>A base64 HS256 key of 32 bytes, fixed so renders are comparable.</summary>
    public const string SigningKey = "c29tYS1jaGFydC10ZXN0LWtleS0zMi1ieXRlcy1sbmc=";

    /// <summary>
    /// The values the chart refuses to guess (the default values.yaml plus these): the PostgreSQL connection string, the
    /// NATS URL and the signing key — what the install rehearsal and a first `helm install` set.
    /// </summary>
    public static readonly string[] RequiredValues =
    [
        "--set-string", "store.postgres.connectionString=Host=postgres;Database=soma;Username=soma",
        "--set-string", "bus.nats.url=nats://nats:4222",
        "--set-string", "auth.signingKey.hs256=" + SigningKey,
    ];

    /// <summary>Runs a program to its end (a minute at most) and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException(program + " did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    public static Task<(int ExitCode, string Stdout, string Stderr)> HelmAsync(params string[] args) =>
        RunAsync(RepositoryFiles.CiTool("helm"), args);

    /// <summary><c>helm template soma deploy/helm/soma</c> with the given arguments; fails the test with helm's message.</summary>
    public static async Task<string> TemplateAsync(params string[] args)
    {
        var (exit, stdout, stderr) = await HelmAsync(["template", "soma", Directory, "--namespace", "soma", .. args]);
        Assert.True(exit == 0, $"helm template failed ({exit}): {stderr}");
        return stdout;
    }

    /// <summary>The render of the default values plus <see cref="RequiredValues"/>.</summary>
    public static Task<string> TemplateDefaultAsync(params string[] args) => TemplateAsync([.. RequiredValues, .. args]);

    /// <summary>The render of values-production.yaml.</summary>
    public static Task<string> TemplateProductionAsync() => TemplateAsync("-f", ProductionValues);

    /// <summary>The objects of a multi-document YAML stream, as JSON (YAML 1.1 scalars typed as Kubernetes reads them).</summary>
    public static IReadOnlyList<JsonObject> Objects(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return [.. stream.Documents.Select(d => ToJson(d.RootNode)).OfType<JsonObject>()];
    }

    /// <summary>Reads one YAML file as JSON.</summary>
    public static JsonNode? ReadYaml(string path)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(path)));
        return ToJson(stream.Documents[0].RootNode);
    }

    public static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, ToJson(c.Value)))),
        YamlSequenceNode seq => new JsonArray([.. seq.Children.Select(ToJson)]),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new InvalidDataException($"unexpected YAML node {node.NodeType} at {node.Start}"),
    };

    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? string.Empty;
        if (scalar.Style != ScalarStyle.Plain || scalar.Tag == "tag:yaml.org,2002:str")
        {
            return JsonValue.Create(value);
        }

        return value switch
        {
            "" or "~" or "null" or "Null" or "NULL" => null,
            "true" or "True" or "TRUE" => JsonValue.Create(true),
            "false" or "False" or "FALSE" => JsonValue.Create(false),
            // YAML 1.1, as Kubernetes reads it: 0440 is octal (a Secret volume's defaultMode).
            _ when OctalNumber().IsMatch(value) => JsonValue.Create(Convert.ToInt64(value, 8)),
            _ when long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer) => JsonValue.Create(integer),
            _ when FloatNumber().IsMatch(value) => JsonValue.Create(double.Parse(value, CultureInfo.InvariantCulture)),
            _ => JsonValue.Create(value),
        };
    }

    /// <summary>The pod templates of the rendered objects (Deployments and Jobs), with their owner's kind and name.</summary>
    public static IEnumerable<(string Owner, JsonObject PodSpec)> PodSpecs(IEnumerable<JsonObject> objects) =>
        from o in objects
        where (string?)o["kind"] is "Deployment" or "Job" or "StatefulSet" or "DaemonSet"
        select ($"{o["kind"]}/{o["metadata"]!["name"]}", o["spec"]!["template"]!["spec"]!.AsObject());

    [GeneratedRegex("^0[0-7]+$")]
    private static partial Regex OctalNumber();

    [GeneratedRegex(@"^[-+]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatNumber();
}
