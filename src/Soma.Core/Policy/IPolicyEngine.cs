namespace Soma.Core.Policy;

/// <summary>
/// Decides whether something may happen (today: a tool call). Implementations fail closed: a timeout, an error, an
/// undefined or malformed result, or no policy loaded is a deny with a reason code (<see cref="PolicyReasons"/>),
/// never an exception, so a turn always gets an answer.
/// </summary>
public interface IPolicyEngine
{
    /// <summary>The engine's name as audited (<c>rego</c>, <c>opa</c>).</summary>
    string Name { get; }

    /// <summary>Decides on <paramref name="input"/> with the query <see cref="PolicyInput.Query"/>.</summary>
    ValueTask<PolicyDecision> DecideAsync(PolicyInput input, CancellationToken cancellationToken = default);
}
