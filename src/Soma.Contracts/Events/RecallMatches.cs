namespace Soma.Contracts.Events;

/// <summary>How many of a recall's memories matched by their words only, by meaning only, and both ways.</summary>
/// <param name="Text">Found by their words only.</param>
/// <param name="Meaning">Found by meaning only (recall by meaning).</param>
/// <param name="Both">Found both ways.</param>
public sealed record RecallMatches(int Text, int Meaning, int Both);
