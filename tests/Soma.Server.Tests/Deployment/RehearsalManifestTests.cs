using System.Text;
using Soma.Testing;

namespace Soma.Server.Tests.Deployment;

/// <summary>
/// The rehearsal reads manifests as Kubernetes would, and refuses clearly what it cannot run: the image's entrypoint
/// from the Dockerfile's last stage, env from values, Secrets and ConfigMaps, volumes as files, paths under mounts,
/// Service names to loopback ports, and an error naming the object for a command, an unknown volume type, a missing
/// Secret or a Service that targets another port than the container's.
/// </summary>
public sealed class RehearsalManifestTests : IDisposable
{
    private const string DockerfileText = """
        FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
        ENTRYPOINT ["/bin/false"]
        FROM mcr.microsoft.com/dotnet/aspnet:10.0
        WORKDIR /app
        # a comment
        ENV ASPNETCORE_HTTP_PORTS=8080 \
            # a comment inside the instruction
            SOMA__DATADIR=/data \
            GREETING="two words"
        ENTRYPOINT ["/app/soma"]
        """;

    private static readonly RehearsalImage Image = RehearsalImage.Parse(DockerfileText, "Dockerfile");
    private readonly TempDirectory _root = new("soma-rehearsal-unit");

    public void Dispose() => _root.Dispose();

    [Fact]
    public void The_image_is_the_last_stages_entrypoint_environment_and_working_directory()
    {
        Assert.Equal(["/app/soma"], Image.Entrypoint);
        Assert.Equal([("ASPNETCORE_HTTP_PORTS", "8080"), ("SOMA__DATADIR", "/data"), ("GREETING", "two words")], Image.Environment);
        Assert.Equal("/app", Image.WorkingDirectory);
    }

    [Theory]
    [InlineData("FROM x\nENTRYPOINT /app/soma serve", "shell form")]
    [InlineData("FROM x\nENTRYPOINT [\"/app/soma\"]\nCMD [\"serve\"]", "CMD")]
    [InlineData("FROM x\nENTRYPOINT [\"/usr/bin/tini\", \"--\", \"/app/soma\"]", "maps only")]
    [InlineData("FROM x\nWORKDIR /app", "missing")]
    public void An_image_the_rehearsal_cannot_map_is_refused_naming_the_Dockerfile(string dockerfile, string reason)
    {
        var error = Assert.Throws<InvalidOperationException>(() => RehearsalImage.Parse(dockerfile, "the/Dockerfile"));
        Assert.Contains("the/Dockerfile", error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Env_comes_from_the_image_envFrom_and_env_with_Secret_and_ConfigMap_keys_and_volumes_become_files()
    {
        var manifests = Manifests(Objects + Deployment("soma-gateway", "gateway", """
                  args: ["serve", "--roles", "gateway", "--data=/data"]
                  envFrom:
                    - configMapRef: {name: soma-config}
                  env:
                    - {name: FROM_SECRET, valueFrom: {secretKeyRef: {name: soma-secret, key: connection}}}
                    - {name: FROM_STRING_DATA, valueFrom: {secretKeyRef: {name: soma-secret, key: plain}}}
                    - {name: FROM_CONFIG, valueFrom: {configMapKeyRef: {name: soma-config, key: SOMA__AUTH__ISSUER}}}
                    - {name: EXPANDED, value: "issuer $(SOMA__AUTH__ISSUER)"}
                    - {name: OPTIONAL, valueFrom: {secretKeyRef: {name: absent, key: x, optional: true}}}
                  volumeMounts:
                    - {name: data, mountPath: /data}
                    - {name: keys, mountPath: /etc/soma/keys, readOnly: true}
                    - {name: tmp, mountPath: /tmp}
            """, """
                - {name: data, emptyDir: {}}
                - {name: tmp, emptyDir: {}}
                - name: keys
                  secret:
                    secretName: soma-secret
                    defaultMode: 0440
                    items: [{key: hs256, path: hs256.key}]
            """));

        var workload = RehearsalWorkload.Prepare(manifests, manifests.Objects.Single(o => o.Kind == "Deployment"), Image, _root.Path);
        var variables = workload.Environment.ToDictionary();

        Assert.Equal("Host=db;Password=p", variables["FROM_SECRET"]);
        Assert.Equal("plain text", variables["FROM_STRING_DATA"]);
        Assert.Equal("soma", variables["FROM_CONFIG"]);
        Assert.Equal("issuer soma", variables["EXPANDED"]);
        Assert.False(variables.ContainsKey("OPTIONAL"));
        Assert.Equal("8080", variables["ASPNETCORE_HTTP_PORTS"]);
        Assert.Equal(8080, workload.HttpPort);
        Assert.Equal(["gateway"], workload.Roles);

        // Paths under a mount go to its folder, once: the /tmp volume's folder is itself under the machine's /tmp.
        var key = workload.MapPaths(variables["SOMA__AUTH__HS256KEYPATH"]);
        Assert.Equal("c2VjcmV0LWtleQ==", File.ReadAllText(key));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead, File.GetUnixFileMode(key));
        var data = workload.MapPaths("/data");
        Assert.True(Directory.Exists(data) && Directory.GetFileSystemEntries(data).Length == 0, $"{data} is not an empty folder");
        Assert.Equal($"--data={data}", workload.MapPaths(workload.Args[3]));
        Assert.Equal(Path.Combine(workload.MapPaths("/tmp"), "x"), workload.MapPaths("/tmp/x"));
        Assert.Equal("/database", workload.MapPaths("/database"));
        Assert.Equal("http://host/data", workload.MapPaths("http://host/data"));
    }

    [Fact]
    public void A_container_command_is_refused_naming_the_object()
    {
        var manifests = Manifests(Objects + Deployment("soma-worker", "worker", """
                  command: ["/bin/sh", "-c"]
                  args: ["/app/soma serve"]
            """));

        var error = Assert.Throws<InvalidOperationException>(() => RehearsalWorkload.Prepare(manifests, manifests.Objects.Single(o => o.Kind == "Deployment"), Image, _root.Path));
        Assert.Contains("Deployment/soma-worker container 'soma' sets 'command'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_volume_type_the_rehearsal_cannot_materialize_is_refused_naming_it()
    {
        var manifests = Manifests(Objects + Deployment("soma-worker", "worker", """
                  args: ["serve"]
            """, """
                - {name: host, hostPath: {path: /var/run}}
            """));

        var error = Assert.Throws<InvalidOperationException>(() => RehearsalWorkload.Prepare(manifests, manifests.Objects.Single(o => o.Kind == "Deployment"), Image, _root.Path));
        Assert.Contains("Deployment/soma-worker volume 'host' is of type hostPath", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_Secret_the_chart_does_not_render_is_named()
    {
        var manifests = Manifests(Objects + Deployment("soma-worker", "worker", """
                  env:
                    - {name: KEY, valueFrom: {secretKeyRef: {name: made-by-hand, key: k}}}
            """));

        var error = Assert.Throws<InvalidOperationException>(() => RehearsalWorkload.Prepare(manifests, manifests.Objects.Single(o => o.Kind == "Deployment"), Image, _root.Path));
        Assert.Contains("Deployment/soma-worker container 'soma' env KEY refers to Secret 'made-by-hand'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Service_names_become_the_loopback_port_of_the_Deployment_the_Service_selects()
    {
        var manifests = Manifests(Objects
            + Deployment("soma-memory", "memory", "          args: [serve, --roles, memory]\n")
            + Deployment("soma-gateway", "gateway", "          args: [serve, --roles, gateway]\n")
            + Service("soma-memory", "memory", "http") + Service("soma-gateway", "gateway", "9090"));
        var deployments = manifests.Objects.Where(o => o.Kind == "Deployment").Select(d => RehearsalWorkload.Prepare(manifests, d, Image, _root.Path)).ToList();
        var memory = deployments.Single(d => d.Owner.Name == "soma-memory");
        var services = new RehearsalServices(manifests, deployments, deployments.ToDictionary(d => d, d => d == memory ? 41001 : 41002));

        Assert.Equal("http://127.0.0.1:41001/v1/", services.Rewrite("http://soma-memory:8080/v1/", "test"));
        Assert.Equal("127.0.0.1:41001", services.Rewrite("soma-memory.ns.svc.cluster.local:8080", "test"));
        Assert.Equal("soma-memory", services.Rewrite("soma-memory", "test"));
        Assert.Equal("http://soma-memory-extra:8080", services.Rewrite("http://soma-memory-extra:8080", "test"));
        Assert.Equal("Service/soma-gateway", Assert.Single(services.Running("gateway")).Service.ToString());

        var wrongPort = Assert.Throws<InvalidOperationException>(() => services.Rewrite("http://soma-gateway:8080", "test"));
        Assert.Contains("Service/soma-gateway port 8080 targets port 9090, but Deployment/soma-gateway container 'soma' listens on 8080", wrongPort.Message, StringComparison.Ordinal);
        var noPort = Assert.Throws<InvalidOperationException>(() => services.Rewrite("http://soma-memory:9999", "test"));
        Assert.Contains("port 9999 of Service/soma-memory", noPort.Message, StringComparison.Ordinal);
    }

    private const string Objects = """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: soma-config}
        data:
          SOMA__AUTH__ISSUER: soma
          SOMA__AUTH__HS256KEYPATH: /etc/soma/keys/hs256.key
        ---
        apiVersion: v1
        kind: Secret
        metadata: {name: soma-secret}
        data:
          connection: SG9zdD1kYjtQYXNzd29yZD1w
          hs256: YzJWamNtVjBMV3RsZVE9PQ==
        stringData:
          plain: plain text

        """;

    private static RehearsalManifests Manifests(string yaml) => RehearsalManifests.FromYaml(yaml, "ns");

    private static string Deployment(string name, string component, string container, string volumes = "") => new StringBuilder()
        .Append("---\napiVersion: apps/v1\nkind: Deployment\n")
        .Append($"metadata: {{name: {name}}}\n")
        .Append("spec:\n  template:\n    metadata:\n")
        .Append($"      labels: {{app: soma, component: {component}}}\n")
        .Append("    spec:\n      containers:\n        - name: soma\n          ports: [{name: http, containerPort: 8080}]\n")
        .Append(Indent(container, 10))
        .Append(volumes.Length == 0 ? "" : "      volumes:\n" + Indent(volumes, 8))
        .ToString();

    // The snippet's lines, their common indentation replaced by the given one.
    private static string Indent(string snippet, int spaces)
    {
        var lines = snippet.Split('\n').Where(l => l.Trim().Length > 0).ToList();
        var common = lines.Min(l => l.Length - l.TrimStart().Length);
        return string.Concat(lines.Select(l => new string(' ', spaces) + l[common..] + "\n"));
    }

    private static string Service(string name, string component, string targetPort) => new StringBuilder()
        .Append("---\napiVersion: v1\nkind: Service\n")
        .Append($"metadata: {{name: {name}}}\n")
        .Append($"spec:\n  selector: {{app: soma, component: {component}}}\n  ports: [{{port: 8080, targetPort: {targetPort}}}]\n")
        .ToString();
}
