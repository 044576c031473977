namespace Soma.Testing;

/// <summary>A memory the stand-in holds.</summary>
public sealed record StoredMemory(string Tenant, string Namespace, string Key, string ValueJson, IReadOnlyList<string> Tags, IReadOnlyList<(string Rel, string Target, double Weight)> Links);
