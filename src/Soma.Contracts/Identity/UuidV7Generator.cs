using System.Buffers.Binary;

namespace Soma.Contracts.Identity;

/// <summary>UUIDv7 identifiers stamped from an injected <see cref="TimeProvider"/>, so tests and replays control them.</summary>
/// <param name="timeProvider">The clock whose time is written into each identifier.</param>
public sealed class UuidV7Generator(TimeProvider timeProvider) : IIdGenerator
{
    private readonly Lock _lock = new();
    private UInt128 _last;

    /// <summary>A generator on the system clock.</summary>
    public static UuidV7Generator System { get; } = new(TimeProvider.System);

    /// <inheritdoc />
    public Guid NewId()
    {
        Span<byte> bytes = stackalloc byte[16];
        Guid.CreateVersion7(timeProvider.GetUtcNow()).TryWriteBytes(bytes, bigEndian: true, out _);
        var candidate = BinaryPrimitives.ReadUInt128BigEndian(bytes);
        lock (_lock)
        {
            // Within one millisecond the random bits alone would order ids at random; stepping past the last id keeps
            // every id this generator issues strictly increasing (RFC 9562, monotonic random), so events sort by id.
            if (candidate <= _last)
            {
                candidate = _last + 1;
            }

            _last = candidate;
        }

        BinaryPrimitives.WriteUInt128BigEndian(bytes, candidate);
        return new Guid(bytes, bigEndian: true);
    }
}
