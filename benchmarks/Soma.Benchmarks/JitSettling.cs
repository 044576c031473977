using System.Runtime;

namespace Soma.Benchmarks;

/// <summary>
/// The load drivers' warm-up rule: with tiered compilation a method is compiled again (instrumented, then optimised)
/// well after its first calls, so a driver repeats a round of its own load until one compiles fewer than a given
/// number of methods, and measures a steady state rather than code still being compiled.
/// </summary>
internal static class JitSettling
{
    /// <summary>
    /// Runs <paramref name="round"/> until one compiles fewer than <paramref name="fewerThan"/> methods (settled) or,
    /// after a round that did not settle, <paramref name="mayGoOn"/> says stop. At least one round runs.
    /// </summary>
    public static async Task<(int Rounds, bool Settled)> RepeatUntilSettledAsync(Func<Task> round, int fewerThan, Func<bool> mayGoOn)
    {
        for (var rounds = 1; ; rounds++)
        {
            var compiled = JitInfo.GetCompiledMethodCount();
            await round();
            if (JitInfo.GetCompiledMethodCount() - compiled < fewerThan)
            {
                return (rounds, true);
            }

            if (!mayGoOn())
            {
                return (rounds, false);
            }
        }
    }
}
