using System.Text;

namespace Soma.Orchestration.Runs;

/// <summary>
/// Seeds for the randomness a step sees: the same (run, step, attempt) always gets the same sequence, in every
/// process (string.GetHashCode is randomized per process, so it cannot be used).
/// </summary>
internal static class StableRandom
{
    public static Random For(Guid runId, string stepKey, int attempt)
    {
        // FNV-1a, 32 bits.
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes($"{runId:N}/{stepKey}/{attempt}"))
        {
            hash = (hash ^ b) * 16777619u;
        }

        return new Random(unchecked((int)hash));
    }
}
