namespace Soma.Memory.Client;

/// <summary>
/// The bearer token the memory client presents to the memory service on each request, when the host has a better source
/// than the fixed <see cref="MemoryClientOptions.ApiKey"/> (e.g. a short-lived token it signs itself). Registered by the
/// host; without one, the client sends the <c>ApiKey</c>.
/// </summary>
public interface IMemoryClientCredentials
{
    /// <summary>The token for the next request, or null to send none.</summary>
    ValueTask<string?> GetTokenAsync(CancellationToken cancellationToken);
}
