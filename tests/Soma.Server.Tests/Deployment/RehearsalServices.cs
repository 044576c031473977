using System.Globalization;
using System.Text.RegularExpressions;
using static Soma.Server.Tests.Deployment.RehearsalManifests;

namespace Soma.Server.Tests.Deployment;

/// <summary>
/// The cluster's Service DNS, on loopback: each Service leads to the Deployment whose pod labels its selector matches,
/// and a name of it in a value (<c>http://soma-memory:8080</c>, <c>soma-memory.ns.svc.cluster.local:8080</c>) becomes
/// <c>127.0.0.1</c> and the loopback port that Deployment's process listens on. The Service's target port must be the
/// port the container listens on (<c>ASPNETCORE_HTTP_PORTS</c>), as it must in a cluster.
/// </summary>
internal sealed class RehearsalServices
{
    private readonly Dictionary<string, (RehearsalObject Service, RehearsalWorkload? Target)> _services;
    private readonly IReadOnlyDictionary<RehearsalWorkload, int> _localPorts;
    private readonly Regex? _names;

    public RehearsalServices(RehearsalManifests manifests, IReadOnlyList<RehearsalWorkload> deployments, IReadOnlyDictionary<RehearsalWorkload, int> localPorts)
    {
        _localPorts = localPorts;
        _services = new Dictionary<string, (RehearsalObject, RehearsalWorkload?)>(StringComparer.Ordinal);
        var hosts = new List<string>();
        foreach (var service in manifests.OfKind("Service"))
        {
            var selector = Map(service.Body["spec"]?["selector"]).ToList();
            var targets = selector.Count == 0 ? [] : deployments.Where(d => selector.All(s => Text(d.Labels[s.Key]) == s.Value)).ToList();
            if (targets.Count > 1)
            {
                throw new InvalidOperationException($"{service} selects the pods of {string.Join(" and ", targets.Select(t => t.Owner))}: its traffic would go to several workloads.");
            }

            _services[service.Name] = (service, targets.SingleOrDefault());
            var ns = Regex.Escape(service.Namespace);
            hosts.Add($@"{Regex.Escape(service.Name)}(?:\.{ns}(?:\.svc(?:\.cluster\.local)?)?)?");
        }

        if (hosts.Count > 0)
        {
            _names = new Regex(
                $@"(?:(?<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?<userinfo>[^@/\s]*@)?)?(?<![\w.-])(?<host>{string.Join('|', hosts)})(?::(?<port>\d+))?(?![\w.-])",
                RegexOptions.CultureInvariant);
        }
    }

    /// <summary>The Services that lead to a workload running <paramref name="role"/>, by name.</summary>
    public IEnumerable<(RehearsalObject Service, RehearsalWorkload Target)> Running(string role) =>
        _services.Values.Where(s => s.Target?.Roles.Contains(role) == true).OrderBy(s => s.Service.Name, StringComparer.Ordinal).Select(s => (s.Service, s.Target!));

    /// <summary>Local base URL of a Service: http://127.0.0.1:{port of its Deployment's process}.</summary>
    public string LocalUrl(RehearsalObject service) => $"http://127.0.0.1:{LocalPort(service, Text(Items(service.Body["spec"]?["ports"]).FirstOrDefault()?["port"]), service.ToString())}";

    /// <summary>Every Service name in <paramref name="value"/> (with a scheme or a port) taken to its loopback port.</summary>
    public string Rewrite(string value, string referrer) => _names is null ? value : _names.Replace(value, match =>
    {
        var name = match.Groups["host"].Value.Split('.')[0];
        var scheme = match.Groups["scheme"].Success ? match.Groups["scheme"].Value : null;
        var isQualified = match.Groups["host"].Value.Contains('.', StringComparison.Ordinal);
        string? port = match.Groups["port"].Success ? match.Groups["port"].Value : scheme?.ToLowerInvariant() switch
        {
            "http" => "80",
            "https" => "443",
            _ => null,
        };
        if (port is null)
        {
            // A bare word equal to a Service's name (a label, a service name for telemetry) is not an address.
            return isQualified || scheme is not null
                ? throw new InvalidOperationException($"{referrer} names Service {name} ('{match.Value}') without a port the rehearsal can tell.")
                : match.Value;
        }

        var local = LocalPort(_services[name].Service, port, referrer);
        return $"{(scheme is null ? "" : scheme + "://")}{match.Groups["userinfo"].Value}127.0.0.1:{local.ToString(CultureInfo.InvariantCulture)}";
    });

    private int LocalPort(RehearsalObject service, string? port, string referrer)
    {
        var (_, target) = _services[service.Name];
        var entry = Items(service.Body["spec"]?["ports"]).FirstOrDefault(p => Text(p["port"]) == port)
            ?? throw new InvalidOperationException($"{referrer} uses port {port} of {service}, which the Service does not expose.");
        if (target is null)
        {
            throw new InvalidOperationException($"{referrer} uses {service}, whose selector matches the pods of no Deployment.");
        }

        var targetPort = target.ResolvePort(Text(entry["targetPort"]) ?? port, $"{service} port {port}");
        return targetPort == target.HttpPort
            ? _localPorts[target]
            : throw new InvalidOperationException($"{service} port {port} targets port {targetPort}, but {target.Describe} listens on {target.HttpPort} (ASPNETCORE_HTTP_PORTS).");
    }
}
