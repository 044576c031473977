namespace Soma.Testing;

/// <summary>How <see cref="MemoryOutageScenario"/> runs: how many messages, over how many sessions, how many crashes.</summary>
public sealed record MemoryOutageOptions
{
    /// <summary>Messages sent while the memory service is down; each turn writes 4 outbox rows (user, tool, assistant, link).</summary>
    public int Messages { get; init; } = 500;

    /// <summary>Sessions the messages are spread over (one sender per session, so messages of a session go in order).</summary>
    public int Sessions { get; init; } = 20;

    /// <summary><c>kill -9</c>s of the gateway/worker process while memory is down and messages or turns are in flight.</summary>
    public int KillsDuringOutage { get; init; } = 2;

    /// <summary><c>kill -9</c>s of the gateway/worker process while the outbox drains.</summary>
    public int KillsDuringDrain { get; init; } = 1;

    /// <summary>
    /// <c>Soma:Memory:OutboxCapPerTenant</c>; default 4 × (<see cref="Messages"/> + <see cref="Sessions"/>): the depth the
    /// outage must reach (4 rows per turn) plus one turn's room per sender. Admission is conservative by design: it keeps
    /// 3 rows for every turn in flight, and a turn that has already written its tool output or answer is counted for them
    /// twice until its slot is given back; with the cap at the exact depth, the very last message was refused now and then
    /// (1 in a CI run) although the queue never held more than the turns needed. The queue still has to hold the whole
    /// outage and never pass the cap.
    /// </summary>
    public int? OutboxCap { get; init; }

    /// <summary>Seed of the kill moments.</summary>
    public int Seed { get; init; } = 20261125;

    /// <summary>How long any one wait may take before the scenario gives up (generous: a shared 2-core machine).</summary>
    public TimeSpan Patience { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>Progress lines (xunit's output, a benchmark's console).</summary>
    public Action<string>? Log { get; init; }

    /// <summary>When set, every process's output is written there at the end (killed gateways in past.log).</summary>
    public string? LogDirectory { get; init; }

    /// <summary>The tenant the messages are sent in.</summary>
    public string Tenant { get; init; } = "outage";

    /// <summary>The cap in force.</summary>
    public int Cap => OutboxCap ?? 4 * (Messages + Sessions);
}
