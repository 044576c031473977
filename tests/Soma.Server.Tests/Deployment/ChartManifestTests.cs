using System.Text.Json;
using System.Text.Json.Nodes;
using Soma.Core.Telemetry;
using Soma.Testing;

namespace Soma.Server.Tests.Deployment;

/// <summary>What <c>helm template</c> renders: valid Kubernetes objects, locked-down pods, the hook order, the shipped rules.</summary>
public sealed class ChartManifestTests
{
    private static readonly string Validator = RepositoryFiles.Path("tests", "Soma.Server.Tests", "Deployment", "validate-manifests.mjs");

    [Fact]
    public async Task Every_object_of_every_render_is_valid_against_the_Kubernetes_and_prometheus_operator_schemas()
    {
        var renders = await Task.WhenAll(
            HelmChart.TemplateDefaultAsync(),
            HelmChart.TemplateProductionAsync(),
            HelmChart.TemplateDefaultAsync("--set", "mode=allInOne", "--set", "sandbox.enabled=true", "--set", "ingress.enabled=true"),
            HelmChart.TemplateDefaultAsync("--set", "monitoring.serviceMonitor.enabled=true", "--set", "monitoring.prometheusRule.enabled=true", "--set", "monitoring.dashboards.enabled=true", "--set", "autoscaling.worker.enabled=true"));
        var objects = renders.SelectMany(HelmChart.Objects).ToList();
        var kinds = objects.Select(o => (string)o["kind"]!).ToHashSet();
        Assert.Superset(new HashSet<string> { "Deployment", "Job", "Service", "Ingress", "PodDisruptionBudget", "NetworkPolicy", "ServiceAccount", "Secret", "ConfigMap", "ServiceMonitor", "PrometheusRule", "HorizontalPodAutoscaler" }, kinds);

        var (exit, output) = await ValidateAsync(objects);
        Assert.True(exit == 0, output);
        Assert.Equal(objects.Count, output.Split('\n').Count(l => l.StartsWith("ok ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task The_validator_refuses_a_wrong_field_type_and_an_unknown_kind()
    {
        var objects = HelmChart.Objects(await HelmChart.TemplateDefaultAsync());
        var deployment = objects.First(o => (string?)o["kind"] == "Deployment");
        deployment["spec"]!["replicas"] = "two";
        var unknown = new JsonObject { ["apiVersion"] = "example.com/v1", ["kind"] = "Widget", ["metadata"] = new JsonObject { ["name"] = "w" } };
        var (exit, output) = await ValidateAsync([deployment, unknown]);
        Assert.Equal(1, exit);
        Assert.Contains("invalid Deployment/soma-gateway", output, StringComparison.Ordinal);
        Assert.Contains("/spec/replicas", output, StringComparison.Ordinal);
        Assert.Contains("unknown Widget/w", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Roles_mode_runs_one_deployment_and_service_per_role_and_all_in_one_mode_runs_one()
    {
        var roles = HelmChart.Objects(await HelmChart.TemplateDefaultAsync());
        var deployments = roles.Where(o => (string?)o["kind"] == "Deployment").ToDictionary(o => (string)o["metadata"]!["name"]!, Args);
        Assert.Equal(
            new Dictionary<string, string[]>
            {
                ["soma-gateway"] = ["serve", "--roles", "gateway"],
                ["soma-worker"] = ["serve", "--roles", "worker"],
                ["soma-relay"] = ["serve", "--roles", "relay,sync"],
                ["soma-memory"] = ["serve", "--roles", "memory"],
            },
            deployments);
        Assert.Equal(deployments.Keys.Order(), roles.Where(o => (string?)o["kind"] == "Service").Select(o => (string)o["metadata"]!["name"]!).Order());

        var allInOne = HelmChart.Objects(await HelmChart.TemplateDefaultAsync("--set", "mode=allInOne"));
        var single = Assert.Single(allInOne, o => (string?)o["kind"] == "Deployment");
        Assert.Equal(["serve", "--roles", "gateway,worker,relay,sync,memory"], Args(single));
        Assert.Equal("soma", (string?)Assert.Single(allInOne, o => (string?)o["kind"] == "Service")["metadata"]!["name"]);
    }

    [Fact]
    public async Task Every_pod_runs_as_non_root_on_a_read_only_root_without_capabilities_under_RuntimeDefault_seccomp()
    {
        foreach (var objects in new[] { await HelmChart.TemplateDefaultAsync("--set", "mode=roles"), await HelmChart.TemplateDefaultAsync("--set", "mode=allInOne") }.Select(HelmChart.Objects))
        {
            var pods = HelmChart.PodSpecs(objects).ToList();
            Assert.Equal(objects.Count(o => (string?)o["kind"] is "Deployment" or "Job"), pods.Count);
            Assert.All(pods, pod => AssertLockedDown(pod.Owner, pod.PodSpec, sandboxed: false));
        }
    }

    [Fact]
    public async Task The_sandbox_switch_relaxes_only_the_worker_and_keeps_it_non_root_read_only_and_without_capabilities()
    {
        var objects = HelmChart.Objects(await HelmChart.TemplateDefaultAsync("--set", "sandbox.enabled=true"));
        foreach (var (owner, pod) in HelmChart.PodSpecs(objects))
        {
            var worker = owner == "Deployment/soma-worker";
            AssertLockedDown(owner, pod, sandboxed: worker);
            if (worker)
            {
                var container = pod["containers"]![0]!["securityContext"]!;
                Assert.False((bool)pod["hostUsers"]!);
                Assert.Equal("Unmasked", (string?)container["procMount"]);
                Assert.Equal("Unconfined", (string?)container["seccompProfile"]!["type"]);
                Assert.Equal("Unconfined", (string?)container["appArmorProfile"]!["type"]);
            }
        }

        // Production values use a node-installed seccomp profile for the worker instead of none.
        var production = HelmChart.PodSpecs(HelmChart.Objects(await HelmChart.TemplateProductionAsync())).ToList();
        Assert.All(production, pod => AssertLockedDown(pod.Owner, pod.PodSpec, sandboxed: pod.Owner == "Deployment/soma-worker"));
        var workerSeccomp = production.Single(p => p.Owner == "Deployment/soma-worker").PodSpec["containers"]![0]!["securityContext"]!["seccompProfile"]!;
        Assert.Equal("Localhost", (string?)workerSeccomp["type"]);
        Assert.Equal("profiles/soma-sandbox.json", (string?)workerSeccomp["localhostProfile"]);
    }

    [Fact]
    public async Task The_migrate_hook_runs_before_install_and_upgrade_after_the_secrets_config_and_account_it_reads()
    {
        var objects = HelmChart.Objects(await HelmChart.TemplateDefaultAsync("--set-string", "model.apiKey=sk-test", "--set-string", "model.baseUrl=https://models.example/v1/", "--set-string", "model.name=m"));
        var job = Assert.Single(objects, o => (string?)o["kind"] == "Job");
        var annotations = job["metadata"]!["annotations"]!;
        Assert.Equal("pre-install,pre-upgrade", (string?)annotations["helm.sh/hook"]);
        Assert.Equal("before-hook-creation,hook-succeeded", (string?)annotations["helm.sh/hook-delete-policy"]);
        var pod = job["spec"]!["template"]!["spec"]!;
        Assert.Equal(["migrate"], Args(job));

        var jobWeight = int.Parse((string)annotations["helm.sh/hook-weight"]!, System.Globalization.CultureInfo.InvariantCulture);
        var container = pod["containers"]![0]!;
        var needed = new List<(string Kind, string Name)> { ("ServiceAccount", (string)pod["serviceAccountName"]!) };
        needed.AddRange(container["envFrom"]!.AsArray().Select(e => ("ConfigMap", (string)e!["configMapRef"]!["name"]!)));
        needed.AddRange(container["env"]!.AsArray().Where(e => e!["valueFrom"] is not null).Select(e => ("Secret", (string)e!["valueFrom"]!["secretKeyRef"]!["name"]!)));
        needed.AddRange(pod["volumes"]!.AsArray().Where(v => v!["secret"] is not null).Select(v => ("Secret", (string)v!["secret"]!["secretName"]!)));
        Assert.Contains(("Secret", "soma-connections"), needed);
        Assert.Contains(("Secret", "soma-signing-key"), needed);
        foreach (var (kind, name) in needed.Distinct())
        {
            var dependency = Assert.Single(objects, o => (string?)o["kind"] == kind && (string?)o["metadata"]!["name"] == name);
            var hook = dependency["metadata"]!["annotations"]?["helm.sh/hook"];
            Assert.True((string?)hook == "pre-install,pre-upgrade", $"{kind}/{name} is not a pre-install,pre-upgrade hook, so it would not exist when the migrate Job starts");
            Assert.True(int.Parse((string)dependency["metadata"]!["annotations"]!["helm.sh/hook-weight"]!, System.Globalization.CultureInfo.InvariantCulture) < jobWeight, $"{kind}/{name} is created after the Job");
        }

        // The model key reaches the workers only.
        var withModelKey = objects.Where(o => (string?)o["kind"] == "Deployment"
            && o["spec"]!["template"]!["spec"]!["containers"]![0]!["env"]!.AsArray().Any(e => (string?)e!["name"] == "SOMA__MODELS__ENDPOINTS__MAIN__APIKEY"));
        Assert.Equal(["soma-worker"], withModelKey.Select(o => (string)o["metadata"]!["name"]!));
    }

    [Fact]
    public async Task Existing_secrets_replace_the_charts_own_and_the_signing_key_is_a_file_in_a_mounted_folder()
    {
        var objects = HelmChart.Objects(await HelmChart.TemplateProductionAsync());
        Assert.DoesNotContain(objects, o => (string?)o["kind"] == "Secret");
        var gateway = objects.Single(o => (string?)o["metadata"]!["name"] == "soma-gateway" && (string?)o["kind"] == "Deployment")["spec"]!["template"]!["spec"]!;
        var container = gateway["containers"]![0]!;
        // The keys' Secret is a watched folder (a rotation edits it; no subPath, which the kubelet would never update).
        Assert.Contains(container["env"]!.AsArray(), e => (string?)e!["name"] == "SOMA__AUTH__KEYS__SOURCE" && (string?)e["value"] == "Directory");
        Assert.Contains(container["env"]!.AsArray(), e => (string?)e!["name"] == "SOMA__AUTH__KEYS__DIRECTORY" && (string?)e["value"] == "/etc/soma/keys");
        Assert.Contains(container["volumeMounts"]!.AsArray(), m => (string?)m!["mountPath"] == "/etc/soma/keys" && (bool?)m["readOnly"] == true && m["subPath"] is null);
        var keysVolume = gateway["volumes"]!.AsArray().Single(v => (string?)v!["secret"]?["secretName"] == "soma-signing-key")!;
        Assert.Null(keysVolume["secret"]!["items"]);
        Assert.Contains(container["env"]!.AsArray(), e => (string?)e!["valueFrom"]?["secretKeyRef"]?["name"] == "soma-postgres");

        // The chart's own Secret holds the key as the server reads it: the base64 text.
        var own = HelmChart.Objects(await HelmChart.TemplateDefaultAsync());
        var secret = own.Single(o => (string?)o["kind"] == "Secret" && (string?)o["metadata"]!["name"] == "soma-signing-key");
        var text = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String((string)secret["data"]!["hs256.key"]!));
        Assert.Equal(HelmChart.SigningKey, text);
        Assert.Equal(32, Convert.FromBase64String(text).Length);
    }

    [Fact]
    public async Task The_PrometheusRule_holds_exactly_the_groups_of_deploy_prometheus_soma_rules()
    {
        var objects = HelmChart.Objects(await HelmChart.TemplateProductionAsync());
        var rule = Assert.Single(objects, o => (string?)o["kind"] == "PrometheusRule");
        var expected = HelmChart.ReadYaml(RepositoryFiles.Path("deploy", "prometheus", "soma-rules.yml"))!["groups"]!;
        Assert.True(JsonNode.DeepEquals(expected, rule["spec"]!["groups"]), "The PrometheusRule's groups differ from deploy/prometheus/soma-rules.yml: copy it to deploy/helm/soma/files/prometheus/");
        Assert.True(expected.AsArray().Count >= 2);
    }

    [Fact]
    public async Task The_dashboard_ConfigMaps_hold_exactly_the_dashboards_of_deploy_grafana()
    {
        var objects = HelmChart.Objects(await HelmChart.TemplateProductionAsync());
        var dashboards = objects.Where(o => (string?)o["kind"] == "ConfigMap" && (string?)o["metadata"]!["labels"]?["grafana_dashboard"] == "1")
            .SelectMany(o => o["data"]!.AsObject())
            .ToDictionary(d => d.Key, d => (string)d.Value!);
        var files = Directory.GetFiles(RepositoryFiles.Path("deploy", "grafana"), "*.json").ToDictionary(f => Path.GetFileName(f), File.ReadAllText);
        Assert.NotEmpty(files);
        Assert.Equal(files.Keys.Order(), dashboards.Keys.Order());
        foreach (var (name, text) in files)
        {
            Assert.True(text == dashboards[name], $"The dashboard ConfigMap of {name} differs from deploy/grafana/{name}: copy it to deploy/helm/soma/files/grafana/");
            JsonDocument.Parse(dashboards[name]).Dispose();
        }
    }

    [Fact]
    public async Task The_worker_HPA_scales_on_CPU_and_the_tool_latency_the_shipped_prometheus_adapter_rule_serves()
    {
        var objects = HelmChart.Objects(await HelmChart.TemplateProductionAsync());
        var hpa = Assert.Single(objects, o => (string?)o["kind"] == "HorizontalPodAutoscaler");
        Assert.Equal("soma-worker", (string?)hpa["spec"]!["scaleTargetRef"]!["name"]);
        var metrics = hpa["spec"]!["metrics"]!.AsArray();
        Assert.Contains(metrics, m => (string?)m!["type"] == "Resource" && (string?)m["resource"]!["name"] == "cpu");
        var pods = Assert.Single(metrics, m => (string?)m!["type"] == "Pods")!["pods"]!;

        var adapter = HelmChart.ReadYaml(RepositoryFiles.Path("deploy", "prometheus-adapter", "soma-rules.yaml"))!["rules"]![0]!;
        Assert.Equal((string?)adapter["name"]!["as"], (string?)pods["metric"]!["name"]);
        var histogram = SomaMeters.ToolDuration.PrometheusName;
        Assert.Equal("soma_tool_duration_milliseconds", histogram);
        Assert.Contains(histogram + "_count{", (string)adapter["seriesQuery"]!, StringComparison.Ordinal);
        Assert.Contains($"rate({histogram}_sum{{<<.LabelMatchers>>}}", (string)adapter["metricsQuery"]!, StringComparison.Ordinal);
        Assert.Equal("pod", (string?)adapter["resources"]!["overrides"]!["pod"]!["resource"]);

        // The Deployment leaves its replica count to the HPA.
        var worker = objects.Single(o => (string?)o["kind"] == "Deployment" && (string?)o["metadata"]!["name"] == "soma-worker");
        Assert.Null(worker["spec"]!["replicas"]);
    }

    [Fact]
    public async Task Network_policies_deny_by_default_and_let_workers_reach_only_DNS_the_store_the_bus_memory_and_the_model()
    {
        var objects = HelmChart.Objects(await HelmChart.TemplateProductionAsync()).Where(o => (string?)o["kind"] == "NetworkPolicy").ToList();
        var deny = objects.Single(o => (string?)o["metadata"]!["name"] == "soma-default-deny")["spec"]!;
        Assert.Null(deny["ingress"]);
        Assert.Null(deny["egress"]);
        Assert.Equal(["Ingress", "Egress"], deny["policyTypes"]!.AsArray().Select(t => (string)t!));

        var worker = objects.Single(o => (string?)o["metadata"]!["name"] == "soma-worker")["spec"]!;
        var egress = worker["egress"]!.AsArray();
        var ports = egress.SelectMany(r => r!["ports"]!.AsArray().Select(p => p!["port"]!.ToJsonString())).ToHashSet();
        Assert.Equal(new HashSet<string> { "53", "5432", "4222", "\"http\"", "443" }, ports);
        var cidrs = egress.SelectMany(r => r!["to"]?.AsArray() ?? []).Select(t => (string?)t!["ipBlock"]?["cidr"]).OfType<string>().ToList();
        Assert.Equal(["10.20.0.0/24", "162.159.140.0/24", "172.66.0.0/22"], cidrs);
        Assert.DoesNotContain(worker["ingress"]!.AsArray(), r => r!["from"]!.AsArray().Any(f => (string?)f!["namespaceSelector"]?["matchLabels"]?["kubernetes.io/metadata.name"] == "ingress-nginx"));

        var gateway = objects.Single(o => (string?)o["metadata"]!["name"] == "soma-gateway")["spec"]!;
        Assert.Contains(gateway["ingress"]!.AsArray(), r => r!["from"]!.AsArray().Any(f => (string?)f!["namespaceSelector"]?["matchLabels"]?["kubernetes.io/metadata.name"] == "ingress-nginx"));
        Assert.DoesNotContain(gateway["egress"]!.AsArray(), r => r!["ports"]!.AsArray().Any(p => p!["port"]!.ToJsonString() == "443"));
    }

    internal static string[] Args(JsonObject workload)
    {
        var container = workload["spec"]!["template"]!["spec"]!["containers"]!.AsArray().Single()!;
        Assert.Null(container["command"]);
        return [.. container["args"]!.AsArray().Select(a => (string)a!)];
    }

    private static void AssertLockedDown(string owner, JsonObject pod, bool sandboxed)
    {
        var podSecurity = pod["securityContext"]!;
        Assert.True((bool?)podSecurity["runAsNonRoot"] == true, owner);
        Assert.True((long?)podSecurity["runAsUser"] > 0, owner);
        Assert.Equal("RuntimeDefault", (string?)podSecurity["seccompProfile"]?["type"]);
        Assert.True((bool?)pod["automountServiceAccountToken"] == false, owner);
        Assert.True(sandboxed || pod["hostUsers"] is null, owner + " is user-namespaced without the sandbox switch");
        foreach (var container in pod["containers"]!.AsArray().Concat(pod["initContainers"]?.AsArray() ?? []))
        {
            var security = container!["securityContext"]!;
            var what = $"{owner} container {container["name"]}";
            Assert.True((bool?)security["runAsNonRoot"] == true, what);
            Assert.True((bool?)security["readOnlyRootFilesystem"] == true, what);
            Assert.True((bool?)security["allowPrivilegeEscalation"] == false, what);
            Assert.True((bool?)security["privileged"] != true, what);
            Assert.Equal(["ALL"], security["capabilities"]!["drop"]!.AsArray().Select(c => (string)c!));
            Assert.Null(security["capabilities"]!["add"]);
            if (!sandboxed)
            {
                Assert.True((string?)security["seccompProfile"]?["type"] == "RuntimeDefault", what);
                Assert.Null(security["procMount"]);
            }

            // Writable folders are emptyDirs at /data and /tmp only; everything else is read-only.
            var writable = container["volumeMounts"]!.AsArray().Where(m => (bool?)m!["readOnly"] != true).Select(m => (string)m!["mountPath"]!);
            Assert.Equal(["/data", "/tmp"], writable.Order());
        }
    }

    private static async Task<(int ExitCode, string Output)> ValidateAsync(IEnumerable<JsonObject> objects)
    {
        using var work = new TempDirectory("soma-k8s-validate");
        var file = Path.Combine(work.Path, "objects.json");
        await File.WriteAllTextAsync(file, new JsonArray([.. objects.Select(o => o.DeepClone())]).ToJsonString());
        var (exit, stdout, stderr) = await HelmChart.RunAsync("node", [Validator, RepositoryFiles.CiNodeModules, file]);
        return (exit, stdout + stderr);
    }
}
