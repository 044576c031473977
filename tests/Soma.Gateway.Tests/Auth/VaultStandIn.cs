using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Soma.Gateway.Auth.Keys;
using Soma.Testing;

namespace Soma.Gateway.Tests.Auth;

/// <summary>
/// A loopback stand-in for Vault's KV v2 API (a third-party peer): <c>GET /v1/{mount}/data/{path}</c> with
/// <c>X-Vault-Token</c>, Kubernetes auth login, new versions on every publish, and Vault's failure modes on demand.
/// </summary>
internal sealed class VaultStandIn : IAsyncDisposable
{
    public const string RootToken = "hvs.stand-in-root-token-7f3a9c";
    public const string SecretPath = "/v1/secret/data/soma/signing-keys";
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, bool> _tokens = new() { [RootToken] = true };
    private volatile JsonObject _data = new();
    private int _version;

    private VaultStandIn(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public enum Failure
    {
        None,
        Sealed,
        Forbidden,
        Slow,
        Malformed,
    }

    public Uri Address { get; }

    public Failure Mode { get; set; }

    /// <summary>Kubernetes auth: the role and the service account JWT a login must present.</summary>
    public (string Role, string Jwt)? Kubernetes { get; set; }

    public int Logins;

    public int Reads;

    public int Version => Volatile.Read(ref _version);

    public static async Task<VaultStandIn> StartAsync()
    {
        VaultStandIn? standIn = null;
        var (app, port) = await LoopbackListener.StartAsync(context => standIn!.HandleAsync(context));
        standIn = new VaultStandIn(app, new Uri($"http://127.0.0.1:{port}"));
        return standIn;
    }

    /// <summary>Writes a new version of the secret: one entry per key, named by its kid.</summary>
    public void Publish(params KeyDocument[] keys)
    {
        var data = new JsonObject();
        foreach (var key in keys)
        {
            data[key.Kid!] = JsonNode.Parse(JsonSerializer.Serialize(key, KeyJsonContext.Default.KeyDocument));
        }

        _data = data;
        Interlocked.Increment(ref _version);
    }

    public void RevokeLogins()
    {
        foreach (var token in _tokens.Keys.Where(t => t != RootToken))
        {
            _tokens.TryRemove(token, out _);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value;
        if (path == "/v1/auth/kubernetes/login" && context.Request.Method == "POST")
        {
            var body = await JsonSerializer.DeserializeAsync<JsonElement>(context.Request.Body);
            if (Kubernetes is not { } k8s || body.GetProperty("role").GetString() != k8s.Role || body.GetProperty("jwt").GetString() != k8s.Jwt)
            {
                context.Response.StatusCode = 403;
                await context.Response.WriteAsync("""{"errors":["permission denied"]}""");
                return;
            }

            Interlocked.Increment(ref Logins);
            var token = "hvs.k8s-" + Guid.NewGuid().ToString("N");
            _tokens[token] = true;
            await context.Response.WriteAsJsonAsync(new { auth = new { client_token = token, lease_duration = 3600, renewable = true } });
            return;
        }

        if (path != SecretPath || context.Request.Method != "GET")
        {
            context.Response.StatusCode = 404;
            await context.Response.WriteAsync("""{"errors":[]}""");
            return;
        }

        Interlocked.Increment(ref Reads);
        switch (Mode)
        {
            case Failure.Sealed:
                context.Response.StatusCode = 503;
                await context.Response.WriteAsync("""{"errors":["Vault is sealed"]}""");
                return;
            case Failure.Forbidden:
                context.Response.StatusCode = 403;
                await context.Response.WriteAsync("""{"errors":["1 error occurred:\n\t* permission denied\n\n"]}""");
                return;
            case Failure.Slow:
                await Task.Delay(TimeSpan.FromSeconds(5), context.RequestAborted);
                break;
            case Failure.Malformed:
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("""{"data":{"data":""");
                return;
        }

        if (!context.Request.Headers.TryGetValue("X-Vault-Token", out var presented) || !_tokens.ContainsKey(presented.ToString()))
        {
            context.Response.StatusCode = 403;
            await context.Response.WriteAsync("""{"errors":["permission denied"]}""");
            return;
        }

        var answer = new JsonObject
        {
            ["request_id"] = Guid.NewGuid().ToString(),
            ["lease_id"] = "",
            ["renewable"] = false,
            ["lease_duration"] = 0,
            ["data"] = new JsonObject
            {
                ["data"] = _data.DeepClone(),
                ["metadata"] = new JsonObject
                {
                    ["created_time"] = DateTimeOffset.UtcNow.ToString("O"),
                    ["deletion_time"] = "",
                    ["destroyed"] = false,
                    ["version"] = Version,
                },
            },
        };
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(answer.ToJsonString());
    }
}
