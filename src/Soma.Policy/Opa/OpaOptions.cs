using System.ComponentModel.DataAnnotations;

namespace Soma.Policy.Opa;

/// <summary>
/// <c>Soma:Policy:Opa</c>: where the OPA server is, how long a decision may take, the bearer token it wants, and when
/// the breaker stops calling it. Used when <c>Soma:Policy:Provider</c> is <c>opa</c>.
/// </summary>
public sealed class OpaOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Soma:Policy:Opa";

    /// <summary>
    /// The OPA server's root URL, e.g. <c>http://127.0.0.1:8181/</c> (a path prefix is kept, for an OPA behind a proxy).
    /// Required when <c>Soma:Policy:Provider</c> is <c>opa</c>; absolute http(s).
    /// </summary>
    public Uri? Url { get; set; }

    /// <summary>A bearer token sent as <c>Authorization: Bearer …</c> (OPA's <c>--authentication=token</c>). Never logged.</summary>
    public string? Token { get; set; }

    /// <summary>
    /// Milliseconds one decision may take, connection included (default 250). A tool call waits for it, so it is short;
    /// when it runs out the decision is a deny <c>policy.timeout</c>.
    /// </summary>
    [Range(1, 60_000)]
    public int TimeoutMilliseconds { get; set; } = 250;

    /// <summary>
    /// Failed calls in a row (timeouts, HTTP errors, connection failures) that open the breaker (default 5, at least 2).
    /// Precisely: it opens once this many calls within the sampling window (twice the break, at least 30 s) have all
    /// failed. While it is open every decision is a deny <c>policy.error</c> at once, without calling OPA.
    /// </summary>
    [Range(2, 10_000)]
    public int BreakerFailures { get; set; } = 5;

    /// <summary>Seconds the breaker stays open before one trial call (default 5).</summary>
    [Range(1, 3600)]
    public int BreakerBreakSeconds { get; set; } = 5;
}
