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

        var reasons = new List<string>();
        switch (decision[ReasonsKey])
        {
            case null:
                break;
            case ArrayValue array when array.Items.All(r => r is StringValue):
                reasons.AddRange(array.Items.Select(r => ((StringValue)r).Value));
                break;
            case SetValue set when set.Items.All(r => r is StringValue):
                reasons.AddRange(set.Items.Select(r => ((StringValue)r).Value));
                break;
            default:
                return PolicyDecision.Deny(PolicyReasons.Malformed, policyVersion, engine, duration);
        }

        if (!allow.Value && reasons.Count == 0)
        {
            reasons.Add(PolicyReasons.Denied);
        }

        // Most decisions carry nothing else: only build obligations when there are members beyond the two.
        var extra = decision.Count - 1 - (decision[ReasonsKey] is null ? 0 : 1);
        return new PolicyDecision(allow.Value, reasons, policyVersion, engine, duration)
        {
            Obligations = extra == 0 ? null : Value.Object(decision.Members.Where(m => !m.Key.Equals(AllowKey) && !m.Key.Equals(ReasonsKey))).ToJsonElement(),
        };
    }
}
