using System.Security.Cryptography;
using System.Text;
using Soma.Policy.Rego;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Bundles;

/// <summary>
/// Loads policy files from files and folders: <c>*.rego</c> modules, <c>roles.yaml</c> (checked against
/// <c>schemas/config/roles.v1.json</c>, then <c>data.soma.roles</c>) and other <c>*.json</c>/<c>*.yaml</c> data merged
/// into <c>data</c> at the root. The whole set is compiled, and its <c>test_</c> rules run, before it counts as loaded.
/// Folders whose names start with a dot are skipped (Kubernetes mounts a ConfigMap's files twice, once under <c>..data</c>).
/// </summary>
public static class PolicyBundleLoader
{
    private static readonly string[] Extensions = [".rego", ".json", ".yaml", ".yml"];

    /// <summary>The policy files under <paramref name="paths"/> (files as given, folders searched), sorted, with the name each is reported by.</summary>
    public static IReadOnlyList<(string Path, string Name)> FindFiles(IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var files = new List<(string, string)>();
        foreach (var path in paths)
        {
            if (File.Exists(path))
            {
                files.Add((path, path));
            }
            else if (Directory.Exists(path))
            {
                files.AddRange(Walk(path)
                    .Select(f => (f, Path.Combine(path, Path.GetRelativePath(path, f))))
                    .OrderBy(f => f.Item2, StringComparer.Ordinal));
            }
            else
            {
                throw new FileNotFoundException($"{path}: no such file or folder", path);
            }
        }

        return files;
    }

    /// <summary>Loads, compiles and (when <paramref name="runTests"/>) tests the files under <paramref name="paths"/>.</summary>
    public static PolicyLoadResult Load(IReadOnlyList<string> paths, DateTimeOffset now, bool runTests = true)
    {
        IReadOnlyList<(string Path, string Name)> files;
        try
        {
            files = FindFiles(paths);
        }
        catch (FileNotFoundException ex)
        {
            return new PolicyLoadResult(null, "none", [ex.Message]);
        }

        var contents = new List<(string Name, string Text)>();
        foreach (var (path, name) in files)
        {
            try
            {
                contents.Add((name, File.ReadAllText(path)));
            }
            catch (IOException ex)
            {
                return new PolicyLoadResult(null, "none", [$"{name}: {ex.Message}"]);
            }
        }

        return Load(contents, now, runTests);
    }

    /// <summary>Loads from file names and contents (the names are what errors report).</summary>
    public static PolicyLoadResult Load(IReadOnlyList<(string Name, string Text)> files, DateTimeOffset now, bool runTests = true)
    {
        ArgumentNullException.ThrowIfNull(files);
        var version = VersionOf(files);
        var errors = new List<string>();
        var modules = new List<RegoSource>();
        Value data = Value.EmptyObject;
        foreach (var (name, text) in files)
        {
            try
            {
                if (name.EndsWith(".rego", StringComparison.Ordinal))
                {
                    modules.Add(new RegoSource(name, text));
                }
                else if (RolesDocument.IsRolesFile(name))
                {
                    data = Merge(data, Value.Object(("soma", Value.Object(("roles", RolesDocument.Parse(name, text))))), name);
                }
                else
                {
                    var document = name.EndsWith(".json", StringComparison.Ordinal) ? ParseJson(name, text) : YamlData.Parse(name, text).Value;
                    data = Merge(data, document, name);
                }
            }
            catch (RegoException ex)
            {
                errors.Add(ex.Message);
            }
        }

        if (modules.Count == 0 && errors.Count == 0)
        {
            errors.Add("no .rego files found: a policy folder needs at least one module");
        }

        if (errors.Count > 0)
        {
            return new PolicyLoadResult(null, version, errors);
        }

        CompiledPolicy policy;
        try
        {
            policy = RegoCompiler.Compile(modules, data);
        }
        catch (RegoException ex)
        {
            return new PolicyLoadResult(null, version, ex.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }

        var tests = 0;
        if (runTests)
        {
            var results = policy.RunTests(new EvaluationOptions { Now = now });
            tests = results.Count;
            errors.AddRange(results.Where(r => !r.Passed).Select(r => $"{r.Location}: {r.Package}.{r.Name} failed{(r.Error is null ? string.Empty : $": {r.Error}")}"));
            if (errors.Count > 0)
            {
                return new PolicyLoadResult(null, version, errors);
            }
        }

        return new PolicyLoadResult(new PolicyBundle(version, policy, data, [.. files.Select(f => f.Name)], tests, now), version, []);
    }

    /// <summary>The version of a set of files: a hash of each name and content, in name order.</summary>
    public static string VersionOf(IReadOnlyList<(string Name, string Text)> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, text) in files.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            // Names are hashed by file name alone, so the same bundle mounted at another path has the same version.
            hash.AppendData(Encoding.UTF8.GetBytes(Path.GetFileName(name)));
            hash.AppendData([0]);
            hash.AppendData(Encoding.UTF8.GetBytes(text.ReplaceLineEndings("\n")));
            hash.AppendData([0]);
        }

        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }

    private static IEnumerable<string> Walk(string folder)
    {
        foreach (var file in Directory.EnumerateFiles(folder))
        {
            if (!Path.GetFileName(file).StartsWith('.') && Extensions.Contains(Path.GetExtension(file), StringComparer.Ordinal))
            {
                yield return file;
            }
        }

        foreach (var sub in Directory.EnumerateDirectories(folder))
        {
            if (!Path.GetFileName(sub).StartsWith('.'))
            {
                foreach (var file in Walk(sub))
                {
                    yield return file;
                }
            }
        }
    }

    private static Value ParseJson(string name, string text)
    {
        try
        {
            return Value.ParseJson(text);
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new RegoException($"invalid JSON: {ex.Message}", new SourceLocation(name, (int)(ex.LineNumber ?? 0) + 1, (int)(ex.BytePositionInLine ?? 0) + 1));
        }
    }

    private static ObjectValue Merge(Value into, Value from, string name, string path = "data")
    {
        if (into is not ObjectValue left || from is not ObjectValue right)
        {
            throw new RegoException($"{name}: {path} is defined twice (data files may only add members to objects)");
        }

        var members = left.Members.ToBuilder();
        foreach (var (key, value) in right.Members)
        {
            members[key] = members.TryGetValue(key, out var existing) ? Merge(existing, value, name, $"{path}.{(key is StringValue s ? s.Value : key.ToString())}") : value;
        }

        return Value.Object(members);
    }
}
