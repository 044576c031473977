using System.Security.Cryptography;

namespace Soma.Contracts.Identity;

/// <summary>
/// A name unique to one running thing (a worker's lease owner, a consumer, a cgroup, a bundle folder): 32 random hex
/// digits. Not an id of anything stored, so it takes no clock and no <see cref="IIdGenerator"/>: two processes, or two
/// instances in one, never share it, and a test has nothing to freeze in it.
/// </summary>
public static class InstanceName
{
    /// <summary>32 lowercase hex digits from the system's random number generator.</summary>
    public static string New() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
