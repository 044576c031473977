using System.Numerics.Tensors;
using Soma.Memory.Vectors;

namespace Soma.Memory.Tests.Vectors;

/// <summary>
/// The byte scan finds what an exact scan over floats finds: the same memories in the same order with their exact
/// similarities, over vectors clustered as a model's are (many near one another, so the top ranks are close calls).
/// </summary>
public sealed class VectorSetTests
{
    private const int Dimensions = 384;

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(33)]
    [InlineData(64)]
    [InlineData(100)]
    [InlineData(384)]
    [InlineData(1000)]
    public void The_byte_dot_product_is_exact_at_every_length(int length)
    {
        var random = new Random(length);
        var a = new sbyte[length];
        var b = new sbyte[length];
        for (var i = 0; i < length; i++)
        {
            a[i] = (sbyte)random.Next(-127, 128);
            b[i] = (sbyte)random.Next(-127, 128);
        }

        // The extremes too: every component at ±127 (the largest sums a 16-bit step could overflow).
        var expected = 0L;
        for (var i = 0; i < length; i++)
        {
            expected += a[i] * b[i];
        }

        Assert.Equal(expected, Int8Vectors.Dot(a, b));
        var full = Enumerable.Repeat((sbyte)127, length).ToArray();
        var negative = Enumerable.Repeat((sbyte)-127, length).ToArray();
        Assert.Equal(-127L * 127 * length, Int8Vectors.Dot(full, negative));
    }

    [Fact]
    public void Quantized_vectors_keep_the_cosine_within_a_few_thousandths()
    {
        var random = new Random(7);
        for (var n = 0; n < 200; n++)
        {
            var x = Unit(random);
            var y = Unit(random);
            var approximate = Int8Vectors.Dot(Codes(x, out var xs), Codes(y, out var ys)) * xs * ys;
            Assert.InRange(approximate - TensorPrimitives.Dot(x, y), -0.003f, 0.003f);
        }
    }

    [Fact]
    public void A_search_by_bytes_returns_the_exact_scan_s_top_memories_in_order()
    {
        var random = new Random(16);
        var set = new VectorSet(Dimensions);
        var vectors = new List<(string Key, float[] Vector)>();

        // 60 topics, 5,000 memories near them: the best matches of a question near a topic are close to one another.
        var topics = Enumerable.Range(0, 60).Select(_ => Unit(random)).ToArray();
        for (var i = 0; i < 5000; i++)
        {
            var vector = Near(topics[random.Next(topics.Length)], random, 0.06f);
            vectors.Add(($"m{i}", vector));
            set.Upsert(i, $"m{i}", vector);
        }

        for (var q = 0; q < 40; q++)
        {
            var query = Near(topics[random.Next(topics.Length)], random, 0.08f);
            const double Floor = 0.2;
            var (hits, aboveFloor) = set.Search(query, 10, Floor);

            var exact = vectors
                .Select(v => (v.Key, Similarity: TensorPrimitives.Dot(v.Vector, query)))
                .Where(v => v.Similarity >= Floor)
                .OrderByDescending(v => v.Similarity).ThenBy(v => v.Key, StringComparer.Ordinal)
                .ToList();
            Assert.Equal(exact.Take(10).Select(e => e.Key), hits.Select(h => h.Key));
            Assert.Equal(exact.Take(10).Select(e => e.Similarity), hits.Select(h => h.Similarity));
            Assert.InRange(aboveFloor, exact.Count - 25, exact.Count + 25);
        }
    }

    [Fact]
    public void A_re_embedded_memory_is_found_by_its_new_vector_only()
    {
        var random = new Random(3);
        var set = new VectorSet(Dimensions);
        var old = Unit(random);
        var replacement = Unit(random);
        set.Upsert(1, "m", old);
        set.Upsert(2, "other", Unit(random));

        set.Upsert(1, "m", replacement);

        Assert.Equal(2, set.Count);
        Assert.Equal("m", set.Search(replacement, 1, 0.5).Hits.Single().Key);
        Assert.DoesNotContain(set.Search(old, 5, 0.5).Hits, h => h.Key == "m");
    }

    private static sbyte[] Codes(float[] vector, out float scale)
    {
        var codes = new sbyte[vector.Length];
        scale = Int8Vectors.Quantize(vector, codes);
        return codes;
    }

    private static float[] Unit(Random random)
    {
        var vector = new float[Dimensions];
        for (var i = 0; i < Dimensions; i++)
        {
            vector[i] = (float)Gaussian(random);
        }

        var norm = TensorPrimitives.Norm(vector);
        TensorPrimitives.Divide(vector, norm, vector);
        return vector;
    }

    private static float[] Near(float[] center, Random random, float noise)
    {
        var vector = new float[Dimensions];
        for (var i = 0; i < Dimensions; i++)
        {
            vector[i] = center[i] + (noise * (float)Gaussian(random));
        }

        TensorPrimitives.Divide(vector, TensorPrimitives.Norm(vector), vector);
        return vector;
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
