using Microsoft.Extensions.Options;
using Soma.Gateway.Auth;
using Soma.Gateway.Auth.Keys;
using Soma.Memory.Client;

namespace Soma.Server.Hosting;

/// <summary>
/// The token a process presents to a remote memory service (<c>soma serve --roles memory</c>) when
/// <c>Soma:Memory:Client:ApiKey</c> is unset and it signs tokens with the fleet's own key ring: a short-lived token of
/// the <c>memory</c> role (tenant <c>system</c>, subject <c>soma-services</c>) signed by the ring's current signer, made
/// again at half its life or as soon as another key signs. So a deployment needs no long-lived service token, and a key
/// rotation carries the memory traffic along with everything else. A set <c>ApiKey</c> (SomaBrain's, say) is sent as is.
/// </summary>
internal sealed class SelfIssuedMemoryToken(IServiceProvider services, IOptions<AuthOptions> auth, IOptions<MemoryClientOptions> client, TimeProvider clock)
    : IMemoryClientCredentials
{
    /// <summary>How long each token is valid (capped by <c>Soma:Auth:MaxTokenLifetime</c>).</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    // The role the memory service asks of a service that writes for every tenant (MemoryServiceEndpoints.ServiceRole).
    private const string ServiceRole = "memory";

    /// <summary>The subject the tokens name (the audit and the memory service's logs show it).</summary>
    public const string Subject = "soma-services";

    private readonly Lock _gate = new();
    private Issued? _current;

    /// <inheritdoc />
    public ValueTask<string?> GetTokenAsync(CancellationToken cancellationToken)
    {
        // A configured key is sent as is; with tokens from an identity provider this process signs nothing.
        var apiKey = client.Value.ApiKey is { Length: > 0 } key ? key : null;
        if (apiKey is not null || auth.Value.Mode != AuthMode.Hs256)
        {
            return ValueTask.FromResult(apiKey);
        }

        var keys = services.GetService(typeof(KeyRingProvider)) as KeyRingProvider;
        var now = clock.GetUtcNow();
        var signer = keys?.Current.SignerAt(now);
        if (keys is null || signer is null)
        {
            return ValueTask.FromResult<string?>(null);
        }

        lock (_gate)
        {
            if (_current is not { } current || current.Kid != signer.Kid || now >= current.RenewAt)
            {
                var options = auth.Value;
                var lifetime = Lifetime < options.MaxTokenLifetime ? Lifetime : options.MaxTokenLifetime;
                var token = keys.Issuer(options.Issuer, options.Audience).Issue("system", Subject, [ServiceRole], lifetime);
                _current = current = new Issued(token, signer.Kid, now + (lifetime / 2));
            }

            return ValueTask.FromResult<string?>(current.Token);
        }
    }

    private sealed record Issued(string Token, string Kid, DateTimeOffset RenewAt);
}
