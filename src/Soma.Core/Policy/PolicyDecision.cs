using System.Text.Json;

namespace Soma.Core.Policy;

/// <summary>
/// A decision: allowed or not, why (policy reasons, or a fail-closed code from <see cref="PolicyReasons"/>), any
/// obligations the policy attached, the version (content hash) of the policy that decided, the engine and how long it took.
/// </summary>
/// <param name="Allow">Whether it may happen.</param>
/// <param name="Reasons">Why, in words or codes; never empty for a deny.</param>
/// <param name="PolicyVersion">The content hash of the loaded policy bundle (or the OPA revision), <c>none</c> when nothing is loaded.</param>
/// <param name="Engine">The engine that decided.</param>
/// <param name="Duration">How long the decision took.</param>
public sealed record PolicyDecision(bool Allow, IReadOnlyList<string> Reasons, string PolicyVersion, string Engine, TimeSpan Duration)
{
    /// <summary>Anything else the policy's decision object carried (e.g. <c>{"sandbox": true}</c>), or null.</summary>
    public JsonElement? Obligations { get; init; }

    /// <summary>Whether the engine gave an earlier decision again, for an input that agreed with that one's wherever the policy read it.</summary>
    public bool Cached { get; init; }

    /// <summary>A fail-closed deny.</summary>
    public static PolicyDecision Deny(string reason, string policyVersion, string engine, TimeSpan duration) =>
        new(false, [reason], policyVersion, engine, duration);
}

/// <summary>Reason codes of fail-closed denials.</summary>
public static class PolicyReasons
{
    /// <summary>The engine did not answer in time.</summary>
    public const string Timeout = "policy.timeout";

    /// <summary>The engine failed (evaluation error, HTTP error, connection refused, breaker open).</summary>
    public const string Error = "policy.error";

    /// <summary>The query had no value (no rule matched and no default).</summary>
    public const string Undefined = "policy.undefined";

    /// <summary>The query's value was not <c>{allow: bool, reasons: [...]}</c>.</summary>
    public const string Malformed = "policy.malformed";

    /// <summary>No policy is loaded.</summary>
    public const string NotLoaded = "policy.not_loaded";

    /// <summary>The policy said no without giving a reason.</summary>
    public const string Denied = "policy.denied";
}
