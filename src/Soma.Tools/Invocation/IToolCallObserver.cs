namespace Soma.Tools.Invocation;

/// <summary>
/// Told of every recorded tool call, in the same transaction (the agents layer remembers tool outputs in long-term memory
/// this way, without the tools layer knowing about memory).
/// </summary>
public interface IToolCallObserver
{
    /// <summary>Called once per call, after its events, inside the sink's transaction.</summary>
    Task OnRecordedAsync(ToolInvocation invocation, IToolEventSink sink);
}
