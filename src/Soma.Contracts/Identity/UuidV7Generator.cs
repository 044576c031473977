using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Soma.Contracts.Identity;

/// <summary>UUIDv7 identifiers stamped from an injected <see cref="TimeProvider"/>, so tests and replays control them.</summary>
/// <param name="timeProvider">The clock whose time is written into each identifier.</param>
public sealed class UuidV7Generator(TimeProvider timeProvider) : IIdGenerator
{
    // The random bits of 409 ids, drawn from the system's CSPRNG at once: Guid.CreateVersion7 reads the kernel's random
    // source once per id, a system call on every event and audit row.
    private const int RandomBytesPerId = 10;
    private readonly byte[] _random = new byte[RandomBytesPerId * 409];
    private readonly Lock _lock = new();
    private int _used = int.MaxValue;
    private UInt128 _last;

    /// <summary>A generator on the system clock.</summary>
    public static UuidV7Generator System { get; } = new(TimeProvider.System);

    /// <inheritdoc />
    public Guid NewId()
    {
        var milliseconds = timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        ArgumentOutOfRangeException.ThrowIfNegative(milliseconds, "time");
        Span<byte> bytes = stackalloc byte[16];
        UInt128 candidate;
        lock (_lock)
        {
            if (_used > _random.Length - RandomBytesPerId)
            {
                RandomNumberGenerator.Fill(_random);
                _used = 0;
            }

            // RFC 9562 §5.7: 48 bits of Unix milliseconds, the version (7), 12 random bits, the variant (10), 62 random bits.
            _random.AsSpan(_used, RandomBytesPerId).CopyTo(bytes[6..]);
            _used += RandomBytesPerId;
            BinaryPrimitives.WriteInt64BigEndian(bytes, milliseconds << 16);
            bytes[6] = (byte)(0x70 | (bytes[6] & 0x0F));
            bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F));
            candidate = BinaryPrimitives.ReadUInt128BigEndian(bytes);

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
