using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Soma.Memory.Vectors;

/// <summary>
/// Vectors as signed bytes with one scale each (symmetric: the largest component maps to ±127), and their dot product
/// in integers. A scan over bytes reads a quarter of the memory a scan over floats reads, and a scan at 100,000 vectors
/// is bound by memory, not arithmetic. For unit vectors of a few hundred components the quantized cosine is within about
/// 0.002 of the exact one, so a search ranks by bytes and then orders its few best by their exact floats.
/// </summary>
internal static class Int8Vectors
{
    /// <summary>Writes <paramref name="vector"/> into <paramref name="codes"/> and returns the scale that turns them back.</summary>
    public static float Quantize(ReadOnlySpan<float> vector, Span<sbyte> codes)
    {
        var largest = vector.IsEmpty ? 0 : TensorPrimitives.MaxMagnitude(vector);
        largest = Math.Abs(largest);
        if (largest == 0 || !float.IsFinite(largest))
        {
            codes.Clear();
            return 0;
        }

        var scale = largest / 127f;
        for (var i = 0; i < vector.Length; i++)
        {
            codes[i] = (sbyte)Math.Clamp(MathF.Round(vector[i] / scale), -127, 127);
        }

        return scale;
    }

    /// <summary>The dot product of two byte vectors of the same length, exact in integers.</summary>
    public static int Dot(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException("The vectors differ in length.", nameof(b));
        }

        ref var left = ref MemoryMarshal.GetReference(a);
        ref var right = ref MemoryMarshal.GetReference(b);
        var i = 0;
        var sum = 0;
        if (Avx512BW.IsSupported && a.Length >= 64)
        {
            var total = Vector512<int>.Zero;
            for (; i <= a.Length - 64; i += 64)
            {
                var x = Vector512.LoadUnsafe(ref left, (nuint)i);
                var y = Vector512.LoadUnsafe(ref right, (nuint)i);
                total = Avx512F.Add(total, Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(x.GetLower()), Avx512BW.ConvertToVector512Int16(y.GetLower())));
                total = Avx512F.Add(total, Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(x.GetUpper()), Avx512BW.ConvertToVector512Int16(y.GetUpper())));
            }

            sum = Vector512.Sum(total);
        }
        else if (Avx2.IsSupported && a.Length >= 32)
        {
            var total = Vector256<int>.Zero;
            for (; i <= a.Length - 32; i += 32)
            {
                var x = Vector256.LoadUnsafe(ref left, (nuint)i);
                var y = Vector256.LoadUnsafe(ref right, (nuint)i);
                total = Avx2.Add(total, Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(x.GetLower()), Avx2.ConvertToVector256Int16(y.GetLower())));
                total = Avx2.Add(total, Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(x.GetUpper()), Avx2.ConvertToVector256Int16(y.GetUpper())));
            }

            sum = Vector256.Sum(total);
        }
        else if (Vector128.IsHardwareAccelerated && a.Length >= 16)
        {
            // Products of two bytes fit in 16 bits (127 × 127); their sums are taken in 32.
            var total = Vector128<int>.Zero;
            for (; i <= a.Length - 16; i += 16)
            {
                var (xLow, xHigh) = Vector128.Widen(Vector128.LoadUnsafe(ref left, (nuint)i));
                var (yLow, yHigh) = Vector128.Widen(Vector128.LoadUnsafe(ref right, (nuint)i));
                var (p0, p1) = Vector128.Widen(xLow * yLow);
                var (p2, p3) = Vector128.Widen(xHigh * yHigh);
                total += p0 + p1 + p2 + p3;
            }

            sum = Vector128.Sum(total);
        }

        for (; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }
}
