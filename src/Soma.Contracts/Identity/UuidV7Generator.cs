namespace Soma.Contracts.Identity;

/// <summary>UUIDv7 identifiers stamped from an injected <see cref="TimeProvider"/>, so tests and replays control them.</summary>
/// <param name="timeProvider">The clock whose time is written into each identifier.</param>
public sealed class UuidV7Generator(TimeProvider timeProvider) : IIdGenerator
{
    /// <summary>A generator on the system clock.</summary>
    public static UuidV7Generator System { get; } = new(TimeProvider.System);

    /// <inheritdoc />
    public Guid NewId() => Guid.CreateVersion7(timeProvider.GetUtcNow());
}
