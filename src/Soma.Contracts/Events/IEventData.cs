namespace Soma.Contracts.Events;

/// <summary>The typed <c>data</c> of one event type; the type says which schema and <c>type</c> value it belongs to.</summary>
public interface IEventData
{
    /// <summary>The schema the event follows, e.g. <c>agent.steps.v1</c>.</summary>
    static abstract string SchemaName { get; }

    /// <summary>The event's <c>type</c>, e.g. <c>step.succeeded</c>.</summary>
    static abstract string EventType { get; }
}
