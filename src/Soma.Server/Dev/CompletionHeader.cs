namespace Soma.Server.Dev;

/// <summary>What every object of one answer repeats: its id, creation time (Unix seconds) and model.</summary>
internal sealed record CompletionHeader(string Id, long Created, string Model);
