namespace Soma.Testing;

/// <summary>What <see cref="MemoryOutageScenario"/> saw and what the memory service holds at the end.</summary>
public sealed record MemoryOutageReport
{
    public required int Messages { get; init; }

    public required int Cap { get; init; }

    /// <summary>Messages answered 202 (each counted once, whatever the retries).</summary>
    public required int Accepted { get; init; }

    /// <summary>503 answers to message POSTs (each is retried with the same Idempotency-Key).</summary>
    public required int Refused { get; init; }

    /// <summary>503 answers while the sampled pending count was below the cap.</summary>
    public required int RefusedBelowCap { get; init; }

    /// <summary>POSTs sent again with the same Idempotency-Key after a connection failure (the process died) or a 429.</summary>
    public required int Retried { get; init; }

    /// <summary>Retries answered with a message id already known for that key (the first POST had committed).</summary>
    public required int Replayed { get; init; }

    /// <summary>Messages accepted when each outage kill happened (turns were in flight when fewer had ended).</summary>
    public required IReadOnlyList<string> Kills { get; init; }

    /// <summary>Runs per final state.</summary>
    public required IReadOnlyDictionary<string, int> RunStates { get; init; }

    /// <summary>Highest pending memory writes sampled from <c>GET /v1/memory/status</c>.</summary>
    public required long MaxPending { get; init; }

    /// <summary>Memory writes in the gateway's outbox when every turn had ended, before the memory service came back (read from its database).</summary>
    public required long OutboxAtOutageEnd { get; init; }

    /// <summary>Pending memory writes <c>GET /v1/memory/status</c> reported then, just before the outbox was read.</summary>
    public required long PendingAtOutageEnd { get; init; }

    /// <summary>From the memory service's restart to pending 0.</summary>
    public required TimeSpan TimeToDrain { get; init; }

    /// <summary>The whole scenario.</summary>
    public required TimeSpan Duration { get; init; }

    /// <summary>Distinct consecutive soma_memory_mode values scraped from <c>/metrics</c>, in order.</summary>
    public required IReadOnlyList<int> ModeChanges { get; init; }

    /// <summary>The last soma_memory_mode scraped (-1: none).</summary>
    public required int FinalMode { get; init; }

    /// <summary>Pending memory writes reported by <c>GET /v1/memory/status</c> at the end.</summary>
    public required long FinalPending { get; init; }

    /// <summary>memory.* outbox rows in the gateway's store, by status (pending, sent, dead_lettered).</summary>
    public required IReadOnlyDictionary<string, int> GatewayOutbox { get; init; }

    /// <summary>Memories in the memory service by role (user, assistant, tool, other).</summary>
    public required IReadOnlyDictionary<string, int> Memories { get; init; }

    /// <summary>Links in the memory service by relation.</summary>
    public required IReadOnlyDictionary<string, int> Links { get; init; }

    /// <summary>Expected memory keys the memory service does not hold.</summary>
    public required IReadOnlyList<string> MissingKeys { get; init; }

    /// <summary>Memory keys held more than once (tenant, namespace, key).</summary>
    public required IReadOnlyList<string> DuplicateKeys { get; init; }

    /// <summary>Memories nobody asked for (e.g. a second tool output for one turn).</summary>
    public required IReadOnlyList<string> UnexpectedKeys { get; init; }

    /// <summary>Expected links (from -rel-> to) the memory service does not hold.</summary>
    public required IReadOnlyList<string> MissingLinks { get; init; }

    /// <summary>Memory writes the memory service refused at least once (key: last error), e.g. delivered out of order.</summary>
    public required IReadOnlyList<string> Refusals { get; init; }

    /// <summary>The last error left on memory outbox rows (transient or refused) and how many rows hold it.</summary>
    public required IReadOnlyDictionary<string, int> DeliveryErrors { get; init; }

    /// <summary>Gateway restarts whose process exited before listening (and was started again), with its output.</summary>
    public required IReadOnlyList<string> FailedStarts { get; init; }

    /// <summary>Links whose source or target memory does not exist.</summary>
    public required IReadOnlyList<string> DanglingLinks { get; init; }
}
