using Soma.Contracts.Events;
using Soma.Contracts.Schemas;

namespace Soma.Core.Messaging;

/// <summary>
/// The bus's subjects. Events: <c>soma.{tenant}.{schema}</c> (<c>soma.acme.agent.runs.v1</c>), so one tenant's consumers
/// read <c>soma.{tenant}.&gt;</c> and a bus permission per tenant is one subject pattern. Live answer deltas:
/// <c>soma.{tenant}.live.{session}</c>, never stored. Tenant ids are restricted to a subject-safe alphabet
/// (<see cref="Tenancy.TenantId"/>): no dot, space or wildcard can make one tenant's subject match another's.
/// </summary>
public static class EventSubjects
{
    /// <summary>The first token of every subject.</summary>
    public const string Root = "soma";

    /// <summary>The token after the tenant that live deltas use (not a schema name).</summary>
    public const string LiveToken = "live";

    private static readonly Lazy<IReadOnlyList<string>> KnownSchemas = new(() =>
        [.. SchemaRegistry.Default.SchemaNames.Where(n => n != SchemaNames.Envelope).Order(StringComparer.Ordinal)]);

    /// <summary>
    /// The schemas whose events the bus stores: every schema of <see cref="SchemaRegistry.Default"/> but the envelope,
    /// in ordinal order. The stream takes <see cref="AnyTenant"/> of each.
    /// </summary>
    public static IReadOnlyList<string> EventSchemas => KnownSchemas.Value;

    /// <summary>The subject of an event of <paramref name="schema"/> for <paramref name="tenant"/>.</summary>
    public static string For(string tenant, string schema) => $"{Root}.{tenant}.{schema}";

    /// <summary>Everything of one tenant (events and live deltas).</summary>
    public static string Tenant(string tenant) => $"{Root}.{tenant}.>";

    /// <summary>Events of every tenant of one schema: <c>soma.*.{schema}</c> (what the stream stores, per schema).</summary>
    public static string AnyTenant(string schema) => $"{Root}.*.{schema}";

    /// <summary>The live (unstored) subject of one session's answer deltas.</summary>
    public static string Live(string tenant, Guid sessionId) => $"{Root}.{tenant}.{LiveToken}.{sessionId:N}";

    /// <summary>The tenant token of a subject made by this class, or null.</summary>
    public static string? TenantOf(string subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        var parts = subject.Split('.');
        return parts.Length >= 3 && parts[0] == Root ? parts[1] : null;
    }

    /// <summary>The schema name of an event subject (<c>soma.acme.agent.runs.v1</c> → <c>agent.runs.v1</c>), or null.</summary>
    public static string? SchemaOf(string subject)
    {
        ArgumentNullException.ThrowIfNull(subject);
        var parts = subject.Split('.', 3);
        return parts.Length == 3 && parts[0] == Root && !parts[2].StartsWith(LiveToken + ".", StringComparison.Ordinal) ? parts[2] : null;
    }

    /// <summary>
    /// True when <paramref name="subject"/> is one the bus stores: <c>soma.{tenant}.{schema}</c> with a single, non-empty,
    /// wildcard-free tenant token and a schema of <paramref name="schemas"/>. Live subjects and anything else are not.
    /// </summary>
    public static bool IsStored(string subject, IEnumerable<string> schemas)
    {
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(schemas);
        var tenant = TenantOf(subject);
        var schema = SchemaOf(subject);
        return tenant is { Length: > 0 } && schema is not null
            && tenant.IndexOfAny(['*', '>', ' ', '\t', '\r', '\n']) < 0
            && schemas.Contains(schema, StringComparer.Ordinal);
    }

    /// <summary>
    /// The subjects both patterns match, as one pattern (<c>soma.acme.&gt;</c> and <c>soma.*.memory.v1</c> →
    /// <c>soma.acme.memory.v1</c>), or null when no subject matches both. NATS rules as in <see cref="Matches"/>.
    /// </summary>
    public static string? Intersect(string pattern, string other)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(other);
        var a = pattern.Split('.');
        var b = other.Split('.');
        var result = new List<string>();
        for (var i = 0; ; i++)
        {
            if (i < a.Length && a[i] == ">")
            {
                return i < b.Length ? string.Join('.', result.Concat(b[i..])) : null;
            }

            if (i < b.Length && b[i] == ">")
            {
                return i < a.Length ? string.Join('.', result.Concat(a[i..])) : null;
            }

            if (i == a.Length || i == b.Length)
            {
                return a.Length == b.Length ? string.Join('.', result) : null;
            }

            if (a[i] == "*")
            {
                result.Add(b[i]);
            }
            else if (b[i] == "*" || a[i] == b[i])
            {
                result.Add(a[i]);
            }
            else
            {
                return null;
            }
        }
    }

    /// <summary>
    /// True when <paramref name="subject"/> matches <paramref name="pattern"/> under NATS rules: tokens split by '.',
    /// <c>*</c> matches one token, <c>&gt;</c> (last) one or more.
    /// </summary>
    public static bool Matches(string pattern, string subject)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(subject);
        var p = pattern.Split('.');
        var s = subject.Split('.');
        for (var i = 0; i < p.Length; i++)
        {
            if (p[i] == ">")
            {
                return i == p.Length - 1 && s.Length > i;
            }

            if (i >= s.Length || (p[i] != "*" && !string.Equals(p[i], s[i], StringComparison.Ordinal)))
            {
                return false;
            }
        }

        return p.Length == s.Length;
    }
}
