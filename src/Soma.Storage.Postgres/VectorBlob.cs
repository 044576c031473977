using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Soma.Storage.Postgres;

/// <summary>
/// A vector as it is stored: its floats as IEEE 754 binary32, little-endian, one after the other (4 × dims bytes), the
/// same on every machine so a database file or dump moves between them.
/// </summary>
internal static class VectorBlob
{
    public static byte[] Encode(float[] vector)
    {
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
}
