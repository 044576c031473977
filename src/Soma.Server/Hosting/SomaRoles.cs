namespace Soma.Server.Hosting;

/// <summary>The roles one <c>soma serve</c> process can run; later capabilities add theirs here.</summary>
internal static class SomaRoles
{
    /// <summary>The HTTP API and the web UI. A process without it serves only <c>/healthz</c>, <c>/readyz</c>, <c>/v1/health</c> and <c>/metrics</c> (and the memory service's endpoints with <see cref="Memory"/>).</summary>
    public const string Gateway = "gateway";

    /// <summary>The workflow runner: leases runnable runs and executes them.</summary>
    public const string Worker = "worker";

    /// <summary>The event relay: delivers the outbox's events to the bus (validated against their schemas) and prunes sent rows.</summary>
    public const string Relay = "relay";

    /// <summary>The built-in memory service: the SomaBrain protocol over HTTP (<c>/memory/*</c>, <c>/link</c>, <c>/health</c>) for other processes.</summary>
    public const string Memory = "memory";

    /// <summary>The memory sync worker: drains memory writes from the outbox to the memory service.</summary>
    public const string Sync = "sync";

    public static readonly IReadOnlyList<string> Known = [Gateway, Worker, Relay, Sync, Memory];

    public static string All => string.Join(',', Known);

    /// <summary>Parses a comma-separated role list; returns an error message naming the unknown role, or null.</summary>
    public static string? TryParse(string? value, out IReadOnlySet<string> roles)
    {
        var parsed = (value ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(r => r.ToLowerInvariant())
            .ToHashSet(StringComparer.Ordinal);
        roles = parsed;
        if (parsed.Count == 0)
        {
            return $"Soma:Roles (--roles) must name at least one role; available: {All}.";
        }

        var unknown = parsed.FirstOrDefault(r => !Known.Contains(r));
        return unknown is null ? null : $"Soma:Roles (--roles) names unknown role '{unknown}'; available: {All}.";
    }
}
