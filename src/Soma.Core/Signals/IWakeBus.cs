namespace Soma.Core.Signals;

/// <summary>
/// Wake-ups across processes: "there is new work of this kind" (a run accepted), sent after a commit so that loops in
/// other processes look now rather than at their next poll. Best effort and carrying no data: a lost wake-up costs one
/// poll interval, never work. The in-process adapter reaches this process's subscribers only (the embedded default);
/// the NATS adapter reaches every process on the bus.
/// </summary>
public interface IWakeBus
{
    /// <summary>Wakes every subscriber of <paramref name="topic"/> (a token: letters, digits, '-', '_'). Never throws, never waits.</summary>
    void Wake(string topic);

    /// <summary>Calls <paramref name="onWake"/> on every wake-up of <paramref name="topic"/> until the result is disposed.</summary>
    IDisposable Subscribe(string topic, Action onWake);
}
