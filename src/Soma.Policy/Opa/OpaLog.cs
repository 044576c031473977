using Microsoft.Extensions.Logging;

namespace Soma.Policy.Opa;

/// <summary>
/// The OPA adapter's log messages, event ids 8001–8019 (reserved for it). Messages carry the tenant, query and what
/// failed; never the token, the input document or anything OPA echoed back from it.
/// </summary>
internal static partial class OpaLog
{
    [LoggerMessage(EventId = LogEvents.OpaTimedOut, Level = LogLevel.Warning, Message = "OPA did not decide {Query} for tenant {Tenant} within {TimeoutMilliseconds} ms; denied (policy.timeout)")]
    public static partial void TimedOut(ILogger logger, string query, string tenant, int timeoutMilliseconds);

    [LoggerMessage(EventId = LogEvents.OpaHttpError, Level = LogLevel.Warning, Message = "OPA answered {Query} for tenant {Tenant} with HTTP {Status} ({Code}); denied (policy.error)")]
    public static partial void HttpError(ILogger logger, string query, string tenant, int status, string code);

    [LoggerMessage(EventId = LogEvents.OpaUnreachable, Level = LogLevel.Warning, Message = "OPA could not be reached or cut the connection deciding {Query} for tenant {Tenant}; denied (policy.error)")]
    public static partial void Unreachable(ILogger logger, string query, string tenant, Exception exception);

    [LoggerMessage(EventId = LogEvents.OpaAnswerNotJson, Level = LogLevel.Warning, Message = "OPA's answer to {Query} for tenant {Tenant} is not a JSON object; denied (policy.malformed)")]
    public static partial void AnswerNotJson(ILogger logger, string query, string tenant);

    [LoggerMessage(EventId = LogEvents.OpaDecisionMalformed, Level = LogLevel.Warning, Message = "OPA's decision {Query} for tenant {Tenant} is malformed: {Problem}; denied (policy.malformed)")]
    public static partial void DecisionMalformed(ILogger logger, string query, string tenant, string problem);

    [LoggerMessage(EventId = LogEvents.OpaUndefined, Level = LogLevel.Information, Message = "{Query} is undefined in OPA for tenant {Tenant} (no rule matched, no default); denied (policy.undefined)")]
    public static partial void Undefined(ILogger logger, string query, string tenant);

    [LoggerMessage(EventId = LogEvents.OpaBreakerRejected, Level = LogLevel.Warning, Message = "OPA breaker open: {Query} for tenant {Tenant} denied without calling OPA (policy.error)")]
    public static partial void BreakerRejected(ILogger logger, string query, string tenant);

    [LoggerMessage(EventId = LogEvents.OpaBreakerOpened, Level = LogLevel.Error, Message = "OPA breaker opened after {Failures} failed calls in a row; decisions are denied for {BreakSeconds} s")]
    public static partial void BreakerOpened(ILogger logger, int failures, int breakSeconds);

    [LoggerMessage(EventId = LogEvents.OpaBreakerHalfOpened, Level = LogLevel.Information, Message = "OPA breaker half-open: the next decision tries OPA again")]
    public static partial void BreakerHalfOpened(ILogger logger);

    [LoggerMessage(EventId = LogEvents.OpaBreakerClosed, Level = LogLevel.Information, Message = "OPA breaker closed: OPA answers again")]
    public static partial void BreakerClosed(ILogger logger);

    [LoggerMessage(EventId = LogEvents.OpaBadQuery, Level = LogLevel.Warning, Message = "The query {Query} for tenant {Tenant} is not a data path (data.a.b…); denied (policy.error)")]
    public static partial void BadQuery(ILogger logger, string query, string tenant);

    [LoggerMessage(EventId = LogEvents.OpaNotConfigured, Level = LogLevel.Error, Message = "No OPA URL is configured (Soma:Policy:Opa:Url): {Query} for tenant {Tenant} denied (policy.error)")]
    public static partial void NotConfigured(ILogger logger, string query, string tenant);
}
