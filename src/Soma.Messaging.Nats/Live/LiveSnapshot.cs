using Soma.Core.Streaming;

namespace Soma.Messaging.Nats.Live;

/// <summary>
/// A process's reply to <c>soma.{tenant}.live.{session}.snapshot</c>: its answers and tool outputs in progress for the
/// session, and the last live sequence number they include. Live messages of <paramref name="Origin"/> up to <paramref name="Seq"/>
/// are in the snapshot already; later ones follow it.
/// </summary>
/// <param name="Origin">The replying process.</param>
/// <param name="Seq">The origin's last sequence number the answers include.</param>
/// <param name="Answers">The answers in progress.</param>
/// <param name="ToolOutputs">The tool outputs in progress (absent from a process that predates them).</param>
internal sealed record LiveSnapshot(Guid Origin, long Seq, IReadOnlyList<AnswerSnapshot> Answers, IReadOnlyList<ToolOutputSnapshot>? ToolOutputs = null)
{
    /// <summary>No process has an answer in progress (no responder, or none replied in time).</summary>
    public static LiveSnapshot Empty { get; } = new(Guid.Empty, 0, []);
}
