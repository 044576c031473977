using Soma.Contracts.Events;
using Soma.Core.Storage;
using Soma.Orchestration.Workflows;
using Soma.Tools.Invocation;

namespace Soma.Agents.Turns;

/// <summary>A step's commit as the place a tool call's records go (its transaction and its run events).</summary>
internal sealed class StepCommitToolSink(StepCommitContext commit) : IToolEventSink
{
    public IStoreTransaction Transaction => commit.Transaction;

    public CancellationToken CancellationToken => commit.CancellationToken;

    public Task AppendAsync<TData>(TData data)
        where TData : IEventData => commit.AppendEventAsync(data);
}
