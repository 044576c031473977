using Soma.Contracts.Events;
using Soma.Core.Storage;
using Soma.Tools.Invocation;

namespace Soma.Tools.Tests.Invocation;

/// <summary>A real store transaction, with the events appended in it collected for the test to read.</summary>
internal sealed class RecordingSink(IStoreTransaction transaction) : IToolEventSink
{
    public List<object> Events { get; } = [];

    public IStoreTransaction Transaction => transaction;

    public CancellationToken CancellationToken => CancellationToken.None;

    public Task AppendAsync<TData>(TData data)
        where TData : IEventData
    {
        Events.Add(data);
        return Task.CompletedTask;
    }
}
