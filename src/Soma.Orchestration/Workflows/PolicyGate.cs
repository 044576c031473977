using System.Text.Json;
using Soma.Contracts.Identity;
using Soma.Core.Policy;
using Soma.Core.Storage;

namespace Soma.Orchestration.Workflows;

/// <summary>
/// The policy node as a workflow step: put before a side-effecting step, it asks <see cref="IPolicyEngine"/> whether
/// that step may happen (the step is the <c>tool</c> of the decision input, named <c>{workflow}.{step}</c>), audits the
/// decision in the step's commit, and on a deny fails the run (<c>policy.denied</c>, not retried) or waits for an
/// operator's resume (<see cref="PolicyDenyAction.Wait"/>; a resume decides again, so a changed policy can let it
/// through). Its output is the decision, so a resumed run never asks twice for a step it passed.
/// </summary>
public sealed class PolicyGate(IPolicyEngine policy, IAuditLog audit, IIdGenerator ids)
{
    /// <summary>The step function deciding on <paramref name="guardedTool"/>.</summary>
    /// <param name="guardedTool">The name the policy sees, e.g. <c>demo.pipeline.notify</c>.</param>
    /// <param name="onDeny">Fail the run or wait for a resume.</param>
    /// <param name="arguments">What the policy sees as the arguments (from the run's input and outputs); <c>{}</c> when null.</param>
    /// <param name="risk">The declared risk of the guarded step.</param>
    /// <param name="query">The query that decides; the tool decision by default.</param>
    public StepFunction Decide(string guardedTool, PolicyDenyAction onDeny = PolicyDenyAction.Fail, Func<StepContext, JsonElement>? arguments = null, string risk = "medium", string query = PolicyQueries.ToolDecision)
    {
        ArgumentException.ThrowIfNullOrEmpty(guardedTool);
        return async (context, cancellationToken) =>
        {
            var input = new PolicyInput(
                context.TenantId, $"run:{context.RunId}", [],
                new PolicyToolInput(guardedTool, arguments?.Invoke(context) ?? EmptyObject, risk, false),
                null, context.RunId.ToString(), context.StepId, context.Now)
            {
                Query = query,
            };
            var decision = await policy.DecideAsync(input, cancellationToken).ConfigureAwait(false);
            var reasons = string.Join("; ", decision.Reasons);
            StepOutcome outcome = decision.Allow
                ? StepOutcome.Succeeded(new { allow = true, reasons = decision.Reasons, policy_version = decision.PolicyVersion })
                : onDeny == PolicyDenyAction.Wait
                    ? StepOutcome.Wait("policy")
                    : StepOutcome.Fail("policy.denied", $"The policy denied {guardedTool}: {reasons}", retryable: false);
            return outcome.WithCommit(commit => PolicyDecisionAudit.AppendAsync(
                audit, ids, commit.Transaction, e => commit.AppendEventAsync(e), context.TenantId, context.Now, $"run:{context.RunId}", "workflow.step",
                $"step/{guardedTool}", decision,
                new Dictionary<string, object?>
                {
                    ["run_id"] = context.RunId.ToString(),
                    ["step"] = context.StepId,
                    ["guarded"] = guardedTool,
                    ["query"] = query,
                    ["on_deny"] = onDeny == PolicyDenyAction.Wait ? "wait" : "fail",
                },
                commit.CancellationToken));
        };
    }

    private static readonly JsonElement EmptyObject = JsonElement.Parse("{}");
}
