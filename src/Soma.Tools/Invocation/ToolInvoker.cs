using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Soma.Contracts.Events;
using Soma.Contracts.Identity;
using Soma.Core.Policy;
using Soma.Core.Storage;
using Soma.Core.Telemetry;
using Soma.Tools.Registry;

namespace Soma.Tools.Invocation;

/// <summary>
/// The one way a tool runs, for every caller (the chat turn, workflows, MCP later): arguments checked against the tool's schema → the policy decides
/// (<see cref="IPolicyEngine"/>, deny by default, fail closed) → the tool runs with a timeout → and, in the caller's
/// commit, the decision is audited (an audit-log row and an <c>agent.audit.v1</c> event) with the tool's events, and
/// observers (long-term memory) are told. Running and recording are two calls because the run happens before the step's
/// commit and the records belong inside it.
/// </summary>
public sealed partial class ToolInvoker(ToolRegistry registry, IPolicyEngine policy, IAuditLog audit, IIdGenerator ids, IEnumerable<IToolCallObserver> observers, ILogger<ToolInvoker> logger)
{
    /// <summary>The most text of a tool's output kept (the rest is cut with a note).</summary>
    public const int MaxOutputCharacters = 16_000;

    /// <summary>The engine named in the audited decision of a call whose arguments do not suit the tool's schema (the policy was not asked).</summary>
    public const string SchemaEngine = "schema";

    /// <summary>The error code of such a call, and the first reason of its decision.</summary>
    public const string InvalidArgumentsCode = "tool.invalid_arguments";

    private readonly IToolCallObserver[] _observers = [.. observers];
    private readonly ToolArgumentValidator _arguments = new();

    /// <summary>Decides on the call and, when allowed, runs the tool. Never throws for a denied, failed or slow tool.</summary>
    public async Task<ToolInvocation> InvokeAsync(ToolCallRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var activity = SomaActivitySources.Tools.StartActivity($"execute_tool {request.Tool}", ActivityKind.Internal);
        activity?.SetTag("gen_ai.operation.name", "execute_tool");
        activity?.SetTag("gen_ai.tool.name", request.Tool);
        activity?.SetTag("gen_ai.tool.call.id", request.CallId);
        var invocation = await InvokeCoreAsync(request, cancellationToken).ConfigureAwait(false);
        if (activity is { IsAllDataRequested: true })
        {
            var outcome = invocation.Decision.Allow ? (invocation.Result.ErrorCode is null ? "succeeded" : "failed")
                : invocation.Decision.Engine == SchemaEngine ? "invalid_arguments" : "denied";
            activity.SetTag("soma.tool.outcome", outcome);
            activity.SetTag("soma.tool.sandbox", invocation.Result.Sandbox.ToString().ToLowerInvariant());
            activity.SetTag("soma.tool.sandboxed", invocation.Sandboxed);
            activity.SetTag("soma.tool.risk", invocation.Risk);
            if (invocation.Result.ErrorCode is { } code)
            {
                activity.SetTag("error.type", code);
                activity.SetStatus(ActivityStatusCode.Error, code);
            }
        }

        return invocation;
    }

    private async Task<ToolInvocation> InvokeCoreAsync(ToolCallRequest request, CancellationToken cancellationToken)
    {
        var argumentsHash = TextSha256.Hex(request.ArgumentsJson ?? string.Empty);
        using var arguments = ParseArguments(request.ArgumentsJson);
        if (!registry.TryGet(request.Tool, out var tool))
        {
            var unknown = PolicyDecision.Deny($"No tool is registered as '{Printable(request.Tool)}'.", "none", "registry", TimeSpan.Zero);
            return Denied(request, unknown, argumentsHash);
        }

        // Arguments are checked before the policy is asked: a call that cannot run is not put to the policy at all.
        if (_arguments.Validate(tool, arguments?.RootElement) is { } invalid)
        {
            return InvalidArguments(request, tool, invalid, argumentsHash);
        }

        var input = new PolicyInput(
            request.Caller.TenantId, request.Caller.Subject, request.Caller.Roles,
            new PolicyToolInput(tool.Name, arguments!.RootElement, tool.Risk, tool.Sandboxed),
            request.Context.SessionId.ToString(), request.Context.RunId.ToString(), request.StepId, request.Context.Now);
        var decision = await DecideAsync(input, cancellationToken).ConfigureAwait(false);
        if (!decision.Allow)
        {
            return Denied(request, decision, argumentsHash) with { Risk = tool.Risk, Sandboxed = tool.Sandboxed, Query = input.Query };
        }

        var started = Stopwatch.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(request.Timeout);
        ToolResult result;
        try
        {
            result = await tool.InvokeAsync(arguments.RootElement, request.Context with { Obligations = decision.Obligations }, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            result = ToolResult.Failed("tool.timeout", $"The tool did not finish within {request.Timeout.TotalSeconds:0.###} s.");
        }

        var kept = result with { Output = Truncate(result.Output, MaxOutputCharacters), Truncated = result.Truncated || result.Output.Length > MaxOutputCharacters };
        return new ToolInvocation(request, decision, kept, Stopwatch.GetElapsedTime(started).TotalMilliseconds, argumentsHash)
        {
            Risk = tool.Risk,
            Sandboxed = tool.Sandboxed,
        };
    }

    /// <summary>
    /// Records the call inside the caller's commit: <c>tool.requested</c>, the audited decision, then
    /// <c>tool.allowed</c> + output + succeeded/failed, or <c>tool.denied</c>; then tells the observers.
    /// </summary>
    public async Task RecordAsync(ToolInvocation invocation, IToolEventSink sink)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        ArgumentNullException.ThrowIfNull(sink);
        var request = invocation.Request;
        var decision = invocation.Decision;
        var tool = SafeToolName(request.Tool);
        using (var arguments = ParseArguments(request.ArgumentsJson))
        {
            var argumentsObject = arguments?.RootElement.ValueKind == JsonValueKind.Object ? arguments.RootElement.Clone() : (JsonElement?)null;
            await sink.AppendAsync(new ToolRequested(request.CallId, tool, argumentsObject, request.StepId)).ConfigureAwait(false);
        }

        await AuditAsync(invocation, sink).ConfigureAwait(false);

        var reason = string.Join("; ", decision.Reasons);
        var policyVersion = string.IsNullOrEmpty(decision.PolicyVersion) ? "none" : decision.PolicyVersion;
        if (!decision.Allow && decision.Engine == SchemaEngine)
        {
            // Refused before the policy: not a denial but a failed call, whose error the model reads.
            await sink.AppendAsync(new ToolFailed(request.CallId, tool, 0, new EventError(InvalidArgumentsCode, Truncate(invocation.Result.Output, 2000), false), Soma.Contracts.Events.Sandbox.None)).ConfigureAwait(false);
        }
        else if (!decision.Allow)
        {
            await sink.AppendAsync(new ToolDenied(request.CallId, tool, reason.Length > 0 ? Truncate(reason, 2000) : PolicyReasons.Denied, policyVersion)).ConfigureAwait(false);
        }
        else
        {
            var result = invocation.Result;
            await sink.AppendAsync(new ToolAllowed(request.CallId, tool, policyVersion)).ConfigureAwait(false);
            var bytes = Encoding.UTF8.GetByteCount(result.Output);
            var sha256 = TextSha256.Hex(result.Output);
            await sink.AppendAsync(new ToolOutput(request.CallId, tool, result.Output, 0, bytes, sha256, result.Truncated)).ConfigureAwait(false);
            if (result.ErrorCode is null)
            {
                await sink.AppendAsync(new ToolSucceeded(request.CallId, tool, invocation.DurationMs, result.Sandbox, bytes)).ConfigureAwait(false);
            }
            else
            {
                await sink.AppendAsync(new ToolFailed(request.CallId, tool, invocation.DurationMs, new EventError(result.ErrorCode, Truncate(result.Output, 2000), false), result.Sandbox)).ConfigureAwait(false);
            }
        }

        foreach (var observer in _observers)
        {
            await observer.OnRecordedAsync(invocation, sink).ConfigureAwait(false);
        }
    }

    // The facts an audited call names, below: the details dictionary is made at its size instead of growing three times.
    private const int AuditDetailCount = 10;

    /// <summary>The audited decision of the call (an audit-log row and an <c>agent.audit.v1</c> event), in the sink's transaction.</summary>
    internal async Task AuditAsync(ToolInvocation invocation, IToolEventSink sink)
    {
        var request = invocation.Request;
        var decision = invocation.Decision;
        var tool = SafeToolName(request.Tool);
        var actor = Actor(request);
        await PolicyDecisionAudit.AppendAsync(audit, ids, sink.Transaction, e => sink.AppendAsync(e), request.Caller.TenantId, request.Context.Now, actor, "tool.call", $"tool/{tool}", decision,
            new Dictionary<string, object?>(AuditDetailCount)
            {
                ["tool_call_id"] = request.CallId,
                ["session_id"] = request.Context.SessionId.ToString(),
                ["run_id"] = request.Context.RunId.ToString(),
                ["step"] = request.StepId,
                ["subject"] = request.Caller.Subject,
                ["roles"] = request.Caller.Roles,
                ["arguments_sha256"] = invocation.ArgumentsHash,
                ["risk"] = invocation.Risk,
                ["sandbox"] = invocation.Sandboxed,
                ["query"] = invocation.Query,
            }, sink.CancellationToken).ConfigureAwait(false);
    }

    private async Task<PolicyDecision> DecideAsync(PolicyInput input, CancellationToken cancellationToken)
    {
        using var activity = SomaActivitySources.Policy.StartActivity($"policy {input.Tool.Name}", ActivityKind.Internal);
        activity?.SetTag("soma.policy.engine", policy.Name);
        var decision = await DecideCoreAsync(input, cancellationToken).ConfigureAwait(false);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("soma.policy.decision", decision.Allow ? "allow" : "deny");
            activity.SetTag("soma.policy.engine", decision.Engine);
            activity.SetTag("soma.policy.version", decision.PolicyVersion);
            if (!decision.Allow && decision.Reasons.Count > 0)
            {
                activity.SetTag("soma.policy.reason", decision.Reasons[0]);
            }
        }

        return decision;
    }

    private async Task<PolicyDecision> DecideCoreAsync(PolicyInput input, CancellationToken cancellationToken)
    {
        try
        {
            return await policy.DecideAsync(input, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // Engines fail closed themselves; this is the last line, so a bug in one never runs a tool.
            Log.PolicyFailed(logger, ex, policy.Name, input.Tool.Name);
            return PolicyDecision.Deny(PolicyReasons.Error, "none", policy.Name, TimeSpan.Zero);
        }
    }

    private static ToolInvocation InvalidArguments(ToolCallRequest request, ITool tool, string problem, string argumentsHash) =>
        new(request, new PolicyDecision(false, [InvalidArgumentsCode, problem], "none", SchemaEngine, TimeSpan.Zero), ToolResult.Failed(InvalidArgumentsCode, problem), 0, argumentsHash)
        {
            Risk = tool.Risk,
            Sandboxed = tool.Sandboxed,
            Query = "none",
        };

    private static ToolInvocation Denied(ToolCallRequest request, PolicyDecision decision, string argumentsHash) =>
        new(request, decision, ToolResult.Failed("tool.denied", $"Denied: {string.Join("; ", decision.Reasons)}"), 0, argumentsHash);

    private static JsonDocument? ParseArguments(string? json)
    {
        try
        {
            var document = JsonDocument.Parse(string.IsNullOrWhiteSpace(json) ? "{}" : json);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                return document;
            }

            document.Dispose();
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Who an audit row of this call names: <c>user:{sub}</c>, or <c>run:{id}</c> for a call without a subject.</summary>
    internal static string Actor(ToolCallRequest request) =>
        string.IsNullOrEmpty(request.Caller.Subject) ? $"run:{request.Context.RunId}" : $"user:{Truncate(request.Caller.Subject, 190)}";

    private static string Truncate(string text, int max) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max), "…");

    // Event schemas constrain tool names; a name the model invented is reported as it would be registered.
    internal static string SafeToolName(string tool) =>
        tool.Length is > 0 and <= 64 && char.IsAsciiLetter(tool[0]) && tool.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-') ? tool : "unknown";

    private static string Printable(string tool) => SafeToolName(tool) == "unknown" ? "(an invalid name)" : tool;

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.ToolInvokerPolicyFailed, Level = LogLevel.Error, Message = "Policy engine {Engine} failed deciding on tool {Tool}; the call is denied")]
        public static partial void PolicyFailed(ILogger logger, Exception exception, string engine, string tool);
    }
}
