using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using static Soma.Server.Tests.Deployment.RehearsalManifests;

namespace Soma.Server.Tests.Deployment;

/// <summary>
/// One pod template's container (a Deployment's or the hook Job's), read exactly as the manifest says it: the image's
/// entrypoint followed by the container's <c>args</c>, the environment from the image's <c>ENV</c>, <c>envFrom</c> and
/// <c>env</c> (values, Secret and ConfigMap keys), each volume materialized in a folder of its own (Secret and
/// ConfigMap entries written as files, <c>emptyDir</c> empty) and every path under a mount taken to that folder.
/// What the rehearsal cannot run (a <c>command</c>, another volume type, init containers, several containers) fails
/// here, naming the object.
/// </summary>
internal sealed partial class RehearsalWorkload
{
    /// <summary>The roles <c>soma serve</c> runs when neither <c>--roles</c> nor <c>Soma:Roles</c> says (appsettings.json).</summary>
    private const string DefaultRoles = "gateway,worker,relay,sync";

    private readonly List<(string ContainerPath, string LocalPath)> _mounts;
    private readonly Dictionary<string, int> _namedPorts;
    private readonly JsonObject _container;

    private RehearsalWorkload(RehearsalObject owner, string containerName, List<string> args, List<KeyValuePair<string, string>> environment,
        List<(string, string)> mounts, Dictionary<string, int> namedPorts, JsonObject labels, JsonObject container, bool readOnlyRoot, string rootFilesystem, string workingDirectory)
    {
        Owner = owner;
        Container = containerName;
        Args = args;
        Environment = environment;
        _mounts = mounts;
        _namedPorts = namedPorts;
        Labels = labels;
        _container = container;
        ReadOnlyRootFilesystem = readOnlyRoot;
        RootFilesystem = rootFilesystem;
        WorkingDirectory = workingDirectory;
    }

    public RehearsalObject Owner { get; }

    /// <summary>The container's name.</summary>
    public string Container { get; }

    /// <summary>The arguments after the apphost: the image entrypoint's rest, then the container's args ($(VAR) expanded).</summary>
    public IReadOnlyList<string> Args { get; }

    /// <summary>The container's environment in the order Kubernetes builds it (image ENV, envFrom, env), later keys winning.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Environment { get; }

    /// <summary>The pod template's labels (what Services select).</summary>
    public JsonObject Labels { get; }

    /// <summary>A probe of the container (<c>readinessProbe</c>, <c>livenessProbe</c>, <c>startupProbe</c>), or null.</summary>
    public JsonObject? Probe(string name) => _container[name] as JsonObject;

    /// <summary>Whether the container's root filesystem is read-only: then nothing may be written to its working directory.</summary>
    public bool ReadOnlyRootFilesystem { get; }

    /// <summary>The folder that stands for the container's root filesystem (outside its volumes).</summary>
    public string RootFilesystem { get; }

    /// <summary>The folder that stands for the image's working directory (in <see cref="RootFilesystem"/>).</summary>
    public string WorkingDirectory { get; }

    public string Describe => $"{Owner} container '{Container}'";

    /// <summary>The last value the environment gives <paramref name="key"/>, or null.</summary>
    public string? Variable(string key) => Environment.LastOrDefault(e => e.Key == key).Value;

    /// <summary>The port the container listens on, from <c>ASPNETCORE_HTTP_PORTS</c> (the contract: never <c>--urls</c>).</summary>
    public int HttpPort =>
        int.TryParse(Variable("ASPNETCORE_HTTP_PORTS"), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            ? port
            : throw new InvalidOperationException($"{Describe} does not set ASPNETCORE_HTTP_PORTS to one port (it is '{Variable("ASPNETCORE_HTTP_PORTS")}'): the rehearsal cannot tell where it listens.");

    /// <summary>The roles <c>soma serve</c> runs here: <c>--roles</c>, else <c>SOMA__ROLES</c>, else the default.</summary>
    public IReadOnlySet<string> Roles
    {
        get
        {
            string? roles = null;
            for (var i = 0; i < Args.Count; i++)
            {
                if (Args[i] == "--roles" && i + 1 < Args.Count)
                {
                    roles = Args[i + 1];
                }
                else if (Args[i].StartsWith("--roles=", StringComparison.Ordinal))
                {
                    roles = Args[i]["--roles=".Length..];
                }
            }

            roles ??= Variable("SOMA__ROLES") ?? DefaultRoles;
            return roles.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.OrdinalIgnoreCase);
        }
    }

    /// <summary>A port as a manifest names it (a number or a container port's name), resolved to its number.</summary>
    public int ResolvePort(string? port, string referrer)
    {
        if (int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return number;
        }

        return port is not null && _namedPorts.TryGetValue(port, out var named)
            ? named
            : throw new InvalidOperationException($"{referrer} names port '{port}', which {Describe} does not declare.");
    }

    /// <summary>Takes every path under one of the container's mounts to that mount's folder (in one pass: a folder's own path is never mapped again).</summary>
    public string MapPaths(string value)
    {
        if (_mounts.Count == 0)
        {
            return value;
        }

        // The longest mount first in the alternation: /data/keys before /data.
        var mounts = string.Join('|', _mounts.Select(m => Regex.Escape(m.ContainerPath.TrimEnd('/'))));
        return Regex.Replace(value, $@"(?<![\w./-])(?:{mounts})(?=/|$|[^\w.-])",
            match => _mounts.First(m => m.ContainerPath.TrimEnd('/') == match.Value).LocalPath);
    }

    /// <summary>Reads the pod template of <paramref name="owner"/> and materializes its volumes under <paramref name="root"/>.</summary>
    public static RehearsalWorkload Prepare(RehearsalManifests manifests, RehearsalObject owner, RehearsalImage image, string root)
    {
        var pod = owner.Body["spec"]?["template"]?["spec"] as JsonObject
            ?? throw new InvalidOperationException($"{owner} has no spec.template.spec.");
        if (Items(pod["initContainers"]).Any())
        {
            throw new InvalidOperationException($"{owner} has initContainers; the rehearsal does not run them.");
        }

        var containers = Items(pod["containers"]).ToList();
        if (containers.Count != 1)
        {
            throw new InvalidOperationException($"{owner} has {containers.Count} containers; the rehearsal runs exactly one (the soma image).");
        }

        var container = containers[0];
        var name = Text(container["name"]) ?? "?";
        var describe = $"{owner} container '{name}'";
        if (container["command"] is not null)
        {
            throw new InvalidOperationException($"{describe} sets 'command'; the contract is the image's ENTRYPOINT with 'args' only.");
        }

        // The container's own filesystem (its working directory, and /tmp unless a volume is mounted there) is a folder
        // of its own, so what a process writes outside its volumes shows.
        var folder = Path.Combine(root, $"{owner.Kind}-{owner.Name}".ToLowerInvariant());
        var rootFilesystem = Path.Combine(folder, "rootfs");
        var workingDirectory = Path.Combine(rootFilesystem, (image.WorkingDirectory ?? "/").TrimStart('/'));
        Directory.CreateDirectory(workingDirectory);
        var volumes = MaterializeVolumes(manifests, owner, pod, Path.Combine(folder, "volumes"));
        var mounts = new List<(string, string)>();
        foreach (var mount in Items(container["volumeMounts"]))
        {
            var volume = Text(mount["name"]) ?? "";
            var mountPath = Text(mount["mountPath"]) ?? throw new InvalidOperationException($"{describe} mounts volume '{volume}' without a mountPath.");
            var local = volumes.TryGetValue(volume, out var dir)
                ? dir
                : throw new InvalidOperationException($"{describe} mounts volume '{volume}', which the pod does not declare.");
            if (Text(mount["subPath"]) is { Length: > 0 } subPath)
            {
                local = Path.Combine(local, subPath);
            }

            mounts.Add((mountPath, local));
        }

        // The longest mount first: /data/keys before /data.
        mounts.Sort((a, b) => b.Item1.Length.CompareTo(a.Item1.Length));

        var environment = new List<KeyValuePair<string, string>>();
        foreach (var (key, value) in image.Environment)
        {
            Set(environment, key, Expand(value, environment));
        }

        foreach (var source in Items(container["envFrom"]))
        {
            var prefix = Text(source["prefix"]) ?? "";
            var (kind, reference) = source["configMapRef"] is JsonObject cm ? ("ConfigMap", cm)
                : source["secretRef"] is JsonObject secret ? ("Secret", secret)
                : throw new InvalidOperationException($"{describe} has an envFrom entry that is neither configMapRef nor secretRef.");
            var entries = manifests.Entries(kind, Text(reference["name"]) ?? "", describe, Text(reference["optional"]) == "true");
            foreach (var (key, value) in entries.OrderBy(e => e.Key, StringComparer.Ordinal))
            {
                Set(environment, prefix + key, System.Text.Encoding.UTF8.GetString(value));
            }
        }

        foreach (var variable in Items(container["env"]))
        {
            var key = Text(variable["name"]) ?? throw new InvalidOperationException($"{describe} has an env entry without a name.");
            string? value;
            if (variable["valueFrom"] is JsonObject from)
            {
                value = ValueFrom(manifests, owner, from, $"{describe} env {key}");
                if (value is null)
                {
                    continue;
                }
            }
            else
            {
                value = Expand(Text(variable["value"]) ?? "", environment);
            }

            Set(environment, key, value);
        }

        var args = image.Entrypoint.Skip(1).Concat((container["args"] as JsonArray ?? []).Select(a => Expand(Text(a) ?? "", environment))).ToList();
        var namedPorts = Items(container["ports"])
            .Where(p => Text(p["name"]) is not null)
            .ToDictionary(p => Text(p["name"])!, p => int.Parse(Text(p["containerPort"]) ?? "0", CultureInfo.InvariantCulture), StringComparer.Ordinal);
        var labels = owner.Body["spec"]?["template"]?["metadata"]?["labels"] as JsonObject ?? [];
        return new RehearsalWorkload(owner, name, args, environment, mounts, namedPorts, labels,
            container, Text(container["securityContext"]?["readOnlyRootFilesystem"]) == "true", rootFilesystem, workingDirectory);
    }

    private static Dictionary<string, string> MaterializeVolumes(RehearsalManifests manifests, RehearsalObject owner, JsonObject pod, string folder)
    {
        var volumes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var volume in Items(pod["volumes"]))
        {
            var name = Text(volume["name"]) ?? throw new InvalidOperationException($"{owner} declares a volume without a name.");
            var local = Path.Combine(folder, name);
            Directory.CreateDirectory(local);
            volumes[name] = local;
            var describe = $"{owner} volume '{name}'";
            var type = volume.Select(p => p.Key).Where(k => k != "name").ToList();
            switch (type)
            {
                case ["emptyDir"]:
                    break;
                case ["secret"]:
                    var secret = (JsonObject)volume["secret"]!;
                    WriteItems(manifests.Entries("Secret", Text(secret["secretName"]) ?? "", describe, Text(secret["optional"]) == "true"), secret, local, describe);
                    break;
                case ["configMap"]:
                    var configMap = (JsonObject)volume["configMap"]!;
                    WriteItems(manifests.Entries("ConfigMap", Text(configMap["name"]) ?? "", describe, Text(configMap["optional"]) == "true"), configMap, local, describe);
                    break;
                default:
                    throw new InvalidOperationException($"{describe} is of type {string.Join('+', type)}; the rehearsal materializes only secret, configMap and emptyDir.");
            }
        }

        return volumes;
    }

    // All entries as files named by their keys, or only the listed items at their paths (a missing key is an error
    // unless the volume is optional), with the manifest's file modes.
    private static void WriteItems(IReadOnlyDictionary<string, byte[]> entries, JsonObject source, string folder, string describe)
    {
        var defaultMode = Mode(Text(source["defaultMode"]));
        var items = Items(source["items"]).ToList();
        var files = items.Count == 0
            ? entries.Select(e => (Key: e.Key, Path: e.Key, Mode: defaultMode))
            : items.Select(i => (Key: Text(i["key"]) ?? "", Path: Text(i["path"]) ?? Text(i["key"]) ?? "", Mode: Mode(Text(i["mode"])) ?? defaultMode));
        foreach (var (key, relative, mode) in files)
        {
            if (!entries.TryGetValue(key, out var content))
            {
                if (Text(source["optional"]) == "true")
                {
                    continue;
                }

                throw new InvalidOperationException($"{describe} lists key '{key}', which the referenced object does not hold (it has: {string.Join(", ", entries.Keys)}).");
            }

            var path = Path.Combine(folder, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, content);
            if (mode is { } m)
            {
                // The owner must keep reading it: the rehearsal's processes run as this user, as the pod's would as its own.
                File.SetUnixFileMode(path, (UnixFileMode)m | UnixFileMode.UserRead);
            }
        }
    }

    // Kubernetes reads file modes as YAML 1.1 integers: a leading 0 is octal (0400), otherwise decimal (256).
    private static int? Mode(string? text) => text switch
    {
        null => null,
        ['0', 'o', .. var octal] => Convert.ToInt32(octal, 8),
        ['0', _, ..] => Convert.ToInt32(text, 8),
        _ => int.Parse(text, CultureInfo.InvariantCulture),
    };

    private static string? ValueFrom(RehearsalManifests manifests, RehearsalObject owner, JsonObject from, string describe)
    {
        var (kind, reference) = from["secretKeyRef"] is JsonObject secret ? ("Secret", secret)
            : from["configMapKeyRef"] is JsonObject cm ? ("ConfigMap", cm)
            : from["fieldRef"] is JsonObject field ? ("field", field)
            : throw new InvalidOperationException($"{describe} uses valueFrom.{string.Join(',', from.Select(p => p.Key))}; the rehearsal resolves secretKeyRef, configMapKeyRef and fieldRef (metadata.name, metadata.namespace).");
        if (kind == "field")
        {
            return Text(reference["fieldPath"]) switch
            {
                "metadata.name" => $"{owner.Name}-rehearsal",
                "metadata.namespace" => owner.Namespace,
                var other => throw new InvalidOperationException($"{describe} uses fieldRef {other}; the rehearsal knows metadata.name and metadata.namespace."),
            };
        }

        var optional = Text(reference["optional"]) == "true";
        var objectName = Text(reference["name"]) ?? "";
        var key = Text(reference["key"]) ?? "";
        var entries = manifests.Entries(kind, objectName, describe, optional);
        return entries.TryGetValue(key, out var value)
            ? System.Text.Encoding.UTF8.GetString(value)
            : optional ? null : throw new InvalidOperationException($"{describe} refers to key '{key}' of {kind}/{objectName}, which it does not hold (it has: {string.Join(", ", entries.Keys)}).");
    }

    private static void Set(List<KeyValuePair<string, string>> environment, string key, string value)
    {
        environment.RemoveAll(e => e.Key == key);
        environment.Add(KeyValuePair.Create(key, value));
    }

    // Kubernetes expands $(VAR) from the variables defined before; $$ escapes; an unknown reference stays as written.
    private static string Expand(string value, List<KeyValuePair<string, string>> environment) =>
        VariableReference().Replace(value, m => m.Value == "$$" ? "$"
            : environment.LastOrDefault(e => e.Key == m.Groups["name"].Value) is { Key: not null } found ? found.Value : m.Value);

    [GeneratedRegex(@"\$\$|\$\((?<name>[A-Za-z_][A-Za-z0-9_.-]*)\)")]
    private static partial Regex VariableReference();
}
