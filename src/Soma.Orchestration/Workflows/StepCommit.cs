using Soma.Contracts.Events;
using Soma.Core.Runs;
using Soma.Core.Storage;

namespace Soma.Orchestration.Workflows;

/// <summary>
/// Writes a step wants committed together with its result (a message, events, an audit record): they run inside the
/// transaction that commits the step's checkpoint, so they happen exactly when the result does.
/// </summary>
/// <param name="context">The transaction, the run and a writer for events.</param>
public delegate Task StepCommit(StepCommitContext context);

/// <summary>What a <see cref="StepCommit"/> gets.</summary>
public sealed class StepCommitContext
{
    private readonly IEventSink _sink;

    internal StepCommitContext(IStoreTransaction transaction, RunRecord run, IEventSink sink, CancellationToken cancellationToken)
    {
        Transaction = transaction;
        Run = run;
        _sink = sink;
        CancellationToken = cancellationToken;
    }

    /// <summary>The transaction that commits the step's result.</summary>
    public IStoreTransaction Transaction { get; }

    /// <summary>The run as of this commit.</summary>
    public RunRecord Run { get; }

    /// <summary>Cancels the work.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>Appends a run event (outbox and observers) in this transaction, like the runner's own events.</summary>
    public Task AppendEventAsync<TData>(TData data, string? idempotencyKey = null)
        where TData : IEventData => _sink.AppendAsync(data, idempotencyKey);

    /// <summary>Where the runner appends a step's events.</summary>
    internal interface IEventSink
    {
        Task AppendAsync<TData>(TData data, string? idempotencyKey)
            where TData : IEventData;
    }
}
