using Soma.Core.Signals;

namespace Soma.Core.Messaging;

/// <summary>Wakes this process's event relay as soon as events commit here.</summary>
public sealed class EventRelaySignal : WakeSignal;
