using Microsoft.Extensions.Internal;

namespace Soma.Memory.Cache;

/// <summary>
/// MemoryCache (10.x) still reads time through <see cref="ISystemClock"/>; this drives it from a
/// <see cref="TimeProvider"/>, so expiry follows the injected clock (and a FakeTimeProvider in tests).
/// </summary>
internal sealed class TimeProviderClock(TimeProvider timeProvider) : ISystemClock
{
    public DateTimeOffset UtcNow => timeProvider.GetUtcNow();
}
