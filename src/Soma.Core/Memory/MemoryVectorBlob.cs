using System.Buffers.Binary;
using System.Data.Common;
using System.Runtime.InteropServices;

namespace Soma.Core.Memory;

/// <summary>
/// A vector as every <see cref="IMemoryVectorStore"/> stores it: its floats as IEEE 754 binary32, little-endian, one
/// after the other (4 × dims bytes), the same on every machine and engine, so a database file or dump moves between
/// them. Also the checks a vector passes before it is saved.
/// </summary>
public static class MemoryVectorBlob
{
    /// <summary>The stored bytes of <paramref name="vector"/>.</summary>
    public static byte[] Encode(float[] vector)
    {
        ArgumentNullException.ThrowIfNull(vector);
        if (BitConverter.IsLittleEndian)
        {
            return MemoryMarshal.AsBytes(vector.AsSpan()).ToArray();
        }

        var bytes = new byte[vector.Length * sizeof(float)];
        for (var i = 0; i < vector.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * sizeof(float)), vector[i]);
        }

        return bytes;
    }

    /// <summary>The vector of <paramref name="dims"/> floats stored in <paramref name="bytes"/>.</summary>
    /// <exception cref="InvalidDataException">The bytes are not <paramref name="dims"/> float32 values.</exception>
    public static float[] Decode(ReadOnlySpan<byte> bytes, int dims)
    {
        if (dims < 0 || bytes.Length != dims * sizeof(float))
        {
            throw new InvalidDataException($"A stored vector holds {bytes.Length} bytes where {dims} float32 values take {dims * sizeof(float)}.");
        }

        var vector = new float[dims];
        if (BitConverter.IsLittleEndian)
        {
            bytes.CopyTo(MemoryMarshal.AsBytes(vector.AsSpan()));
            return vector;
        }

        for (var i = 0; i < dims; i++)
        {
            vector[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * sizeof(float))..]);
        }

        return vector;
    }

    /// <summary>Reads a vector column through one reused buffer (a 100,000-vector load allocates only the float arrays it keeps).</summary>
    public static float[] Read(DbDataReader reader, int ordinal, int dims, ref byte[] buffer)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(buffer);
        var length = (int)reader.GetBytes(ordinal, 0, null, 0, 0);
        if (buffer.Length < length)
        {
            buffer = new byte[length];
        }

        var read = (int)reader.GetBytes(ordinal, 0, buffer, 0, length);
        return Decode(buffer.AsSpan(0, read), dims);
    }

    /// <summary>Refuses a vector that names no model or holds no value.</summary>
    /// <exception cref="ArgumentException">The vector names no model or is empty.</exception>
    public static void Require(MemoryVector vector)
    {
        ArgumentNullException.ThrowIfNull(vector);
        if (string.IsNullOrEmpty(vector.Model))
        {
            throw new ArgumentException($"The vector of memory {vector.MemoryId} names no model.", nameof(vector));
        }

        if (vector.Vector is not { Length: > 0 })
        {
            throw new ArgumentException($"The vector of memory {vector.MemoryId} ({vector.Model}) is empty.", nameof(vector));
        }
    }
}
