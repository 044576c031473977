namespace Soma.Contracts.Events;

/// <summary>Whether the recall cache answered.</summary>
public enum CacheOutcome
{
    /// <summary>The cache answered.</summary>
    Hit,

    /// <summary>The cache did not have it.</summary>
    Miss,

    /// <summary>The cache was not used.</summary>
    Bypass,
}
