namespace Soma.Memory.Tests.Client;

/// <summary>A running memory service the client suite talks to, and how to stop it.</summary>
public sealed record MemoryPeer(Uri BaseAddress, string Token, IAsyncDisposable Owner);
