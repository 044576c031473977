namespace Soma.Testing;

/// <summary>How <see cref="ScaleOutScenario"/> runs: how many sessions and messages, how long each answer streams.</summary>
public sealed record ScaleOutOptions
{
    /// <summary>Sessions, each with its own sender (its messages go one after another) and its own event stream.</summary>
    public int Sessions { get; init; } = 10;

    /// <summary>Messages per session; the next is sent once the previous answer is final.</summary>
    public int MessagesPerSession { get; init; } = 4;

    /// <summary>Words of each message; the loopback model echoes them one chunk per word ("You said: …").</summary>
    public int Words { get; init; } = 24;

    /// <summary>The loopback model's pause between chunks: with <see cref="Words"/> it sets how long a turn streams.</summary>
    public int ChunkDelayMilliseconds { get; init; } = 50;

    /// <summary>How long any one wait may take before the scenario gives up (generous: a shared 2-core machine).</summary>
    public TimeSpan Patience { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>The tenant the messages are sent in.</summary>
    public string Tenant { get; init; } = "scale";

    /// <summary>Progress lines (xunit's output, a benchmark's console).</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Where every process's output is written at the end; null: a new temp directory (named in the report and in a failure).</summary>
    public string? LogDirectory { get; init; }

    /// <summary>Every message of the scenario.</summary>
    public int Messages => Sessions * MessagesPerSession;
}
