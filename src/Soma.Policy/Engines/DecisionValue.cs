using Soma.Core.Policy;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Engines;

/// <summary>
/// Reads a decision value, whichever engine produced it: an object with a boolean <c>allow</c> and optional
/// <c>reasons</c> (strings); anything else is a deny with <c>policy.malformed</c>, no value is <c>policy.undefined</c>.
/// Other members are the decision's obligations (e.g. <c>rate_limit</c>).
/// </summary>
public static class DecisionValue
{
    private static readonly StringValue AllowKey = Value.String("allow");
    private static readonly StringValue ReasonsKey = Value.String("reasons");

    /// <summary>The decision a query's value stands for.</summary>
    public static PolicyDecision Read(Value? value, string policyVersion, string engine, TimeSpan duration)
    {
        if (value is null)
        {
            return PolicyDecision.Deny(PolicyReasons.Undefined, policyVersion, engine, duration);
        }

        if (value is not ObjectValue decision || decision[AllowKey] is not BooleanValue allow)
        {
            return PolicyDecision.Deny(PolicyReasons.Malformed, policyVersion, engine, duration);
        }

        // Loops rather than LINQ: this runs once per decision.
        var reasonsValue = decision[ReasonsKey];
        var reasons = new List<string>(reasonsValue switch { ArrayValue a => a.Count, SetValue s => s.Count, _ => 1 });
        switch (reasonsValue)
        {
            case null:
                break;
            case ArrayValue array:
                foreach (var reason in array.Items)
                {
                    if (reason is not StringValue text)
                    {
                        return PolicyDecision.Deny(PolicyReasons.Malformed, policyVersion, engine, duration);
                    }

                    reasons.Add(text.Value);
                }

                break;
            case SetValue set:
                foreach (var reason in set.Items)
                {
                    if (reason is not StringValue text)
                    {
                        return PolicyDecision.Deny(PolicyReasons.Malformed, policyVersion, engine, duration);
                    }

                    reasons.Add(text.Value);
                }

                break;
            default:
                return PolicyDecision.Deny(PolicyReasons.Malformed, policyVersion, engine, duration);
        }

        if (!allow.Value && reasons.Count == 0)
        {
            reasons.Add(PolicyReasons.Denied);
        }

        // Most decisions carry nothing else: only build obligations when there are members beyond the two.
        var extra = decision.Count - 1 - (reasonsValue is null ? 0 : 1);
        return new PolicyDecision(allow.Value, reasons, policyVersion, engine, duration)
        {
            Obligations = extra == 0 ? null : Value.Object(decision.Members.Where(m => !m.Key.Equals(AllowKey) && !m.Key.Equals(ReasonsKey))).ToJsonElement(),
        };
    }
}
