using Soma.Contracts.Events;
using Soma.Core.Storage;

namespace Soma.Tools.Invocation;

/// <summary>Where a tool call's records go: the transaction that commits the caller's step, and its event stream.</summary>
public interface IToolEventSink
{
    /// <summary>The transaction the audit rows are written in.</summary>
    IStoreTransaction Transaction { get; }

    /// <summary>Cancels the writes.</summary>
    CancellationToken CancellationToken { get; }

    /// <summary>Appends an event in <see cref="Transaction"/>.</summary>
    Task AppendAsync<TData>(TData data)
        where TData : IEventData;
}
