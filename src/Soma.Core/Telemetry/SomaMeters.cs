using System.Reflection;

namespace Soma.Core.Telemetry;

/// <summary>
/// The one registry of SomaAgent's meters and instruments. Every <c>Meter</c> is created by one of these names (all
/// start with <c>Soma.</c>, which the host's OpenTelemetry set-up listens to) and every instrument through its
/// <see cref="SomaInstrument"/> here. The metrics catalogue in docs/observability.md is generated from <see cref="All"/>
/// and a test fails when it is stale; the dashboards and alert rules are tested against the names a server exports.
/// Durations are in milliseconds (<c>ms</c>), except ages of backlogs, which are in seconds (<c>s</c>).
/// </summary>
public static class SomaMeters
{
    /// <summary>The prefix of every meter name.</summary>
    public const string Prefix = "Soma.";

    /// <summary>The event relay's publishes to the bus.</summary>
    public const string Events = "Soma.Events";

    /// <summary>The transactional outbox's backlog.</summary>
    public const string Outbox = "Soma.Outbox";

    /// <summary>Memory writes, recalls, the memory service's health.</summary>
    public const string Memory = "Soma.Memory";

    /// <summary>Tool calls.</summary>
    public const string Tools = "Soma.Tools";

    /// <summary>Sandboxed runs and their egress.</summary>
    public const string Sandbox = "Soma.Sandbox";

    /// <summary>Policy decisions and reloads.</summary>
    public const string Policy = "Soma.Policy";

    /// <summary>Model calls and chat turns.</summary>
    public const string Agents = "Soma.Agents";

    /// <summary>Durable runs and their steps.</summary>
    public const string Orchestration = "Soma.Orchestration";

    /// <summary>The process itself (node and roles).</summary>
    public const string Node = "Soma.Node";

    // Bucket boundaries (ms) for things a person waits for: the 2 s time-to-first-delta objective is a boundary.
    private static readonly double[] WaitBuckets = [50, 100, 250, 500, 1000, 2000, 3000, 5000, 10000, 30000, 60000];

    // Bucket boundaries (ms) for whole turns, runs and model calls, which can take minutes.
    private static readonly double[] LongBuckets = [50, 100, 250, 500, 1000, 2000, 5000, 10000, 30000, 60000, 120000, 300000, 600000];

    /// <summary><c>soma.events.published</c>.</summary>
    public static readonly SomaInstrument EventsPublished = new(Events, "soma.events.published", SomaInstrumentKind.Counter, "{event}", "Events the relay published to the bus (tag schema).");

    /// <summary><c>soma.events.rejected</c>.</summary>
    public static readonly SomaInstrument EventsRejected = new(Events, "soma.events.rejected", SomaInstrumentKind.Counter, "{event}", "Events refused by their schema and dead-lettered, never published (tags tenant, schema).");

    /// <summary><c>soma.events.publish_failed</c>.</summary>
    public static readonly SomaInstrument EventsPublishFailed = new(Events, "soma.events.publish_failed", SomaInstrumentKind.Counter, "{event}", "Publishes that failed (tag kind: transient or refused).");

    /// <summary><c>soma.outbox.pending</c>.</summary>
    public static readonly SomaInstrument OutboxPending = new(Outbox, "soma.outbox.pending", SomaInstrumentKind.Gauge, "{row}", "Outbox rows not yet delivered, per tenant.");

    /// <summary><c>soma.outbox.dead_lettered</c>.</summary>
    public static readonly SomaInstrument OutboxDeadLettered = new(Outbox, "soma.outbox.dead_lettered", SomaInstrumentKind.Gauge, "{row}", "Outbox rows given up on, per tenant.");

    /// <summary><c>soma.outbox.oldest_age</c>.</summary>
    public static readonly SomaInstrument OutboxOldestAge = new(Outbox, "soma.outbox.oldest_age", SomaInstrumentKind.Gauge, "s", "Age of the oldest pending outbox row, per tenant.");

    /// <summary><c>soma.outbox.relayed</c>.</summary>
    public static readonly SomaInstrument OutboxRelayed = new(Outbox, "soma.outbox.relayed", SomaInstrumentKind.Counter, "{row}", "Outbox rows a relay delivered to their destination (tag route: events, memory); its rate is the relay rate.");

    /// <summary><c>soma.memory.sent</c>.</summary>
    public static readonly SomaInstrument MemorySent = new(Memory, "soma.memory.sent", SomaInstrumentKind.Counter, "{memory}", "Memory writes the memory service took.");

    /// <summary><c>soma.memory.failed</c>.</summary>
    public static readonly SomaInstrument MemoryFailed = new(Memory, "soma.memory.failed", SomaInstrumentKind.Counter, "{memory}", "Memory writes that failed (tag kind: transient or refused).");

    /// <summary><c>soma.memory.dead_lettered</c>.</summary>
    public static readonly SomaInstrument MemoryDeadLettered = new(Memory, "soma.memory.dead_lettered", SomaInstrumentKind.Counter, "{memory}", "Memory writes given up on after repeated refusals.");

    /// <summary><c>soma.memory.batch.size</c>.</summary>
    public static readonly SomaInstrument MemoryBatchSize = new(Memory, "soma.memory.batch.size", SomaInstrumentKind.Histogram, "{memory}", "Memory writes per delivered batch.");

    /// <summary><c>soma.memory.drain_rate</c>.</summary>
    public static readonly SomaInstrument MemoryDrainRate = new(Memory, "soma.memory.drain_rate", SomaInstrumentKind.Gauge, "{memory}/s", "Memory writes delivered per second over the last 10 s.");

    /// <summary><c>soma.memory.outbox.pending</c>.</summary>
    public static readonly SomaInstrument MemoryOutboxPending = new(Memory, "soma.memory.outbox.pending", SomaInstrumentKind.Gauge, "{memory}", "Memory writes waiting in the outbox, per tenant.");

    /// <summary><c>soma.memory.outbox.oldest_age</c>.</summary>
    public static readonly SomaInstrument MemoryOutboxOldestAge = new(Memory, "soma.memory.outbox.oldest_age", SomaInstrumentKind.Gauge, "s", "Age of the oldest waiting memory write, per tenant.");

    /// <summary><c>soma.memory.outbox.dead_lettered</c>.</summary>
    public static readonly SomaInstrument MemoryOutboxDeadLettered = new(Memory, "soma.memory.outbox.dead_lettered", SomaInstrumentKind.Gauge, "{memory}", "Memory writes given up on, per tenant.");

    /// <summary><c>soma.memory.vectors.pending</c>.</summary>
    public static readonly SomaInstrument MemoryVectorsPending = new(Memory, "soma.memory.vectors.pending", SomaInstrumentKind.Gauge, "{memory}", "Memories still without a vector of the configured embedding model (searchable by words meanwhile).");

    /// <summary><c>soma.memory.vectors.embedded</c>.</summary>
    public static readonly SomaInstrument MemoryVectorsEmbedded = new(Memory, "soma.memory.vectors.embedded", SomaInstrumentKind.Counter, "{memory}", "Memories given a vector by the embedding pass (tag model).");

    /// <summary><c>soma.memory.vectors.failed</c>.</summary>
    public static readonly SomaInstrument MemoryVectorsFailed = new(Memory, "soma.memory.vectors.failed", SomaInstrumentKind.Counter, "{memory}", "Memories whose embedding failed and is retried later (tag model).");

    /// <summary><c>soma.memory.vectors.indexed</c>.</summary>
    public static readonly SomaInstrument MemoryVectorsIndexed = new(Memory, "soma.memory.vectors.indexed", SomaInstrumentKind.Gauge, "{vector}", "Vectors held in this memory service's in-memory index, every model counted.");

    /// <summary><c>soma.memory.recall.duration</c>.</summary>
    public static readonly SomaInstrument MemoryRecallDuration = new(Memory, "soma.memory.recall.duration", SomaInstrumentKind.Histogram, "ms", "Recall latency, from the cache or the memory service.");

    /// <summary><c>soma.memory.recall.cache_hits</c>.</summary>
    public static readonly SomaInstrument MemoryRecallCacheHits = new(Memory, "soma.memory.recall.cache_hits", SomaInstrumentKind.Counter, "{recall}", "Recalls answered by the recall cache.");

    /// <summary><c>soma.memory.recall.cache_misses</c>.</summary>
    public static readonly SomaInstrument MemoryRecallCacheMisses = new(Memory, "soma.memory.recall.cache_misses", SomaInstrumentKind.Counter, "{recall}", "Recalls that went to the memory service.");

    /// <summary><c>soma.memory.recall.cache_errors</c>.</summary>
    public static readonly SomaInstrument MemoryRecallCacheErrors = new(Memory, "soma.memory.recall.cache_errors", SomaInstrumentKind.Counter, "{error}", "Recall cache operations that failed or timed out and were treated as misses.");

    /// <summary><c>soma.memory.mode</c>.</summary>
    public static readonly SomaInstrument MemoryMode = new(Memory, "soma.memory.mode", SomaInstrumentKind.Gauge, null, "Memory mode: 0 normal, 1 degraded, 2 down.");

    /// <summary><c>soma.memory.breaker_state</c>.</summary>
    public static readonly SomaInstrument MemoryBreakerState = new(Memory, "soma.memory.breaker_state", SomaInstrumentKind.Gauge, null, "Memory breaker: 0 closed, 1 half-open, 2 open.");

    /// <summary><c>soma.memory.probes</c>.</summary>
    public static readonly SomaInstrument MemoryProbes = new(Memory, "soma.memory.probes", SomaInstrumentKind.Counter, "{probe}", "Memory health probes by outcome.");

    /// <summary><c>soma.memory.embedding.batch.size</c>.</summary>
    public static readonly SomaInstrument MemoryEmbeddingBatchSize = new(Memory, "soma.memory.embedding.batch.size", SomaInstrumentKind.Histogram, "{text}", "Texts per embedding call: one inference of the in-process model or one request to an embeddings endpoint (tags model, provider).");

    /// <summary><c>soma.memory.embedding.duration</c>.</summary>
    public static readonly SomaInstrument MemoryEmbeddingDuration = new(Memory, "soma.memory.embedding.duration", SomaInstrumentKind.Histogram, "ms", "How long one embedding call took (tags model, provider).");

    /// <summary><c>soma.memory.embedding.texts</c>.</summary>
    public static readonly SomaInstrument MemoryEmbeddingTexts = new(Memory, "soma.memory.embedding.texts", SomaInstrumentKind.Counter, "{text}", "Texts turned into vectors (tags model, provider).");

    /// <summary><c>soma.memory.embedding.failures</c>.</summary>
    public static readonly SomaInstrument MemoryEmbeddingFailures = new(Memory, "soma.memory.embedding.failures", SomaInstrumentKind.Counter, "{request}", "Embedding requests that failed (tags model, provider, kind: transient or refused).");

    /// <summary><c>soma.tool.calls</c>.</summary>
    public static readonly SomaInstrument ToolCalls = new(Tools, "soma.tool.calls", SomaInstrumentKind.Counter, "{call}", "Finished tool calls (tags tool, outcome: succeeded, failed or denied, sandbox).");

    /// <summary><c>soma.tool.duration</c>.</summary>
    public static readonly SomaInstrument ToolDuration = new(Tools, "soma.tool.duration", SomaInstrumentKind.Histogram, "ms", "How long a tool ran, for the calls that ran (tags tool, sandbox).");

    /// <summary><c>soma.tool.output.bytes</c>.</summary>
    public static readonly SomaInstrument ToolOutputBytes = new(Tools, "soma.tool.output.bytes", SomaInstrumentKind.Histogram, "By", "The size of a tool's output in UTF-8 bytes, for the calls that ran (tags tool, sandbox).");

    /// <summary><c>soma.sandbox.runs</c>.</summary>
    public static readonly SomaInstrument SandboxRuns = new(Sandbox, "soma.sandbox.runs", SomaInstrumentKind.Counter, "{run}", "Sandboxed runs by profile and outcome (exited, timeout, truncated, seccomp, signal, unavailable).");

    /// <summary><c>soma.sandbox.run.duration</c>.</summary>
    public static readonly SomaInstrument SandboxRunDuration = new(Sandbox, "soma.sandbox.run.duration", SomaInstrumentKind.Histogram, "ms", "Start to exit of a sandboxed run.");

    /// <summary><c>soma.sandbox.egress</c>.</summary>
    public static readonly SomaInstrument SandboxEgress = new(Sandbox, "soma.sandbox.egress", SomaInstrumentKind.Counter, "{request}", "Requests of sandboxed programs at the egress proxy, by decision (allowed, refused, failed, invalid).");

    /// <summary><c>soma.policy.decisions</c>.</summary>
    public static readonly SomaInstrument PolicyDecisions = new(Policy, "soma.policy.decisions", SomaInstrumentKind.Counter, "{decision}", "Policy decisions (tags engine, decision: allow or deny, reason: the fail-closed code or policy, cached: whether the embedded engine gave an earlier decision again).");

    /// <summary><c>soma.policy.decision.duration</c>.</summary>
    public static readonly SomaInstrument PolicyDecisionDuration = new(Policy, "soma.policy.decision.duration", SomaInstrumentKind.Histogram, "ms", "How long a policy decision took (tag engine).");

    /// <summary><c>soma.policy.reloads</c>.</summary>
    public static readonly SomaInstrument PolicyReloads = new(Policy, "soma.policy.reloads", SomaInstrumentKind.Counter, "{reload}", "Policy folder loads (tag outcome: loaded or failed; a failed one keeps the previous version).");

    /// <summary><c>soma.model.calls</c>.</summary>
    public static readonly SomaInstrument ModelCalls = new(Agents, "soma.model.calls", SomaInstrumentKind.Counter, "{call}", "Model calls by model (the endpoint name) and outcome (ok or failed); a fallback is one failed call and one more call.");

    /// <summary><c>soma.model.tokens</c>.</summary>
    public static readonly SomaInstrument ModelTokens = new(Agents, "soma.model.tokens", SomaInstrumentKind.Counter, "{token}", "Tokens by model and direction (input or output).");

    /// <summary><c>soma.model.duration</c>.</summary>
    public static readonly SomaInstrument ModelDuration = new(Agents, "soma.model.duration", SomaInstrumentKind.Histogram, "ms", "Latency of a model call, request to the end of its stream (tags model, outcome).", LongBuckets);

    /// <summary><c>soma.model.errors</c>.</summary>
    public static readonly SomaInstrument ModelErrors = new(Agents, "soma.model.errors", SomaInstrumentKind.Counter, "{error}", "Failed model calls by model and kind (breaker_open, timeout, http_5xx, http_429, rejected, connection, malformed, stream_broken, other).");

    /// <summary><c>soma.model.breaker_state</c>.</summary>
    public static readonly SomaInstrument ModelBreakerState = new(Agents, "soma.model.breaker_state", SomaInstrumentKind.Gauge, null, "Each model's circuit breaker (tag model): 0 closed, 1 half-open, 2 open.");

    /// <summary><c>soma.turn.duration</c>.</summary>
    public static readonly SomaInstrument TurnDuration = new(Agents, "soma.turn.duration", SomaInstrumentKind.Histogram, "ms", "A chat turn from the message accepted to the turn's end (tag outcome: succeeded, failed or cancelled).", LongBuckets);

    /// <summary><c>soma.turn.time_to_first_delta</c>.</summary>
    public static readonly SomaInstrument TurnTimeToFirstDelta = new(Agents, "soma.turn.time_to_first_delta", SomaInstrumentKind.Histogram, "ms", "From the message accepted to the first piece of the answer streamed to the user (the 2 s objective is a bucket boundary).", WaitBuckets);

    /// <summary><c>soma.run.started</c>.</summary>
    public static readonly SomaInstrument RunStarted = new(Orchestration, "soma.run.started", SomaInstrumentKind.Counter, "{run}", "Runs a worker started (tag workflow); a run resumed elsewhere is not started again.");

    /// <summary><c>soma.run.completed</c>.</summary>
    public static readonly SomaInstrument RunCompleted = new(Orchestration, "soma.run.completed", SomaInstrumentKind.Counter, "{run}", "Runs that ended (tags workflow, outcome: succeeded, failed or cancelled).");

    /// <summary><c>soma.run.duration</c>.</summary>
    public static readonly SomaInstrument RunDuration = new(Orchestration, "soma.run.duration", SomaInstrumentKind.Histogram, "ms", "A run from accepted to its end (tags workflow, outcome).", LongBuckets);

    /// <summary><c>soma.step.duration</c>.</summary>
    public static readonly SomaInstrument StepDuration = new(Orchestration, "soma.step.duration", SomaInstrumentKind.Histogram, "ms", "One attempt of a step (tags workflow, step, outcome: succeeded, retrying or failed).", LongBuckets);

    /// <summary><c>soma.step.retries</c>.</summary>
    public static readonly SomaInstrument StepRetries = new(Orchestration, "soma.step.retries", SomaInstrumentKind.Counter, "{retry}", "Step attempts that failed and were scheduled again (tags workflow, step).");

    /// <summary><c>soma.node.info</c>.</summary>
    public static readonly SomaInstrument NodeInfo = new(Node, "soma.node.info", SomaInstrumentKind.Gauge, null, "Always 1; its tags say which node (host name) this process is and which roles it runs, to group other series by.");

    /// <summary>Every instrument of the registry, in declaration order.</summary>
    public static IReadOnlyList<SomaInstrument> All { get; } =
    [
        .. typeof(SomaMeters).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(SomaInstrument))
            .OrderBy(f => f.MetadataToken)
            .Select(f => (SomaInstrument)f.GetValue(null)!),
    ];
}
