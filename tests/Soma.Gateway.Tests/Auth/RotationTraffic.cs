using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using Soma.Gateway.Auth;

namespace Soma.Gateway.Tests.Auth;

/// <summary>
/// 32 clients sending requests without pause, each taking a fresh token from the current signer every few requests, as
/// clients of an identity provider do. Records every 401 and, per client, the kid of its token and how many requests
/// that token has had answered.
/// </summary>
internal sealed class RotationTraffic : IAsyncDisposable
{
    public const int Clients = 32;
    private const int RequestsPerToken = 4;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly Uri _baseAddress;
    private readonly Func<TokenIssuer> _issuer;
    private readonly CancellationTokenSource _stop = new();
    private readonly string?[] _kid = new string?[Clients];
    private readonly long[] _answeredWithKid = new long[Clients];
    private readonly List<Task> _loops = [];
    private long _answered;

    public RotationTraffic(Uri baseAddress, Func<TokenIssuer> issuer)
    {
        _baseAddress = baseAddress;
        _issuer = issuer;
    }

    public ConcurrentQueue<string> Unauthorized { get; } = new();

    public ConcurrentQueue<string> OtherFailures { get; } = new();

    public long Answered => Interlocked.Read(ref _answered);

    public void Start()
    {
        for (var i = 0; i < Clients; i++)
        {
            var client = i;
            _loops.Add(Task.Run(() => LoopAsync(client)));
        }
    }

    /// <summary>Waits until every client holds tokens signed by <paramref name="kid"/> and has had them accepted at least twice.</summary>
    public async Task WaitUntilEveryClientUsesAsync(string kid)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!Enumerable.Range(0, Clients).All(i => Volatile.Read(ref _kid[i]) == kid && Interlocked.Read(ref _answeredWithKid[i]) >= 2))
        {
            Assert.True(DateTime.UtcNow < deadline, $"not every client moved to {kid}: {string.Join(", ", _kid.Distinct())}; 401s: {Unauthorized.Count}");
            Assert.Empty(Unauthorized);
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
        _stop.Dispose();
    }

    private async Task LoopAsync(int client)
    {
        using var http = new HttpClient { BaseAddress = _baseAddress };
        var tenant = $"rot{client}";
        string? token = null;
        var sent = 0;
        while (!_stop.IsCancellationRequested)
        {
            if (sent++ % RequestsPerToken == 0)
            {
                var issuer = _issuer();
                token = issuer.Issue(tenant, "client", ["admin"], TimeSpan.FromSeconds(10));
                if (Volatile.Read(ref _kid[client]) != issuer.KeyId)
                {
                    Interlocked.Exchange(ref _answeredWithKid[client], 0);
                    Volatile.Write(ref _kid[client], issuer.KeyId);
                }
            }

            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/sessions?limit=1");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            try
            {
                using var response = await http.SendAsync(request, _stop.Token);
                if (response.StatusCode == HttpStatusCode.Unauthorized)
                {
                    Unauthorized.Enqueue($"client {client} kid {_kid[client]}: {await response.Content.ReadAsStringAsync()}");
                }
                else if (response.StatusCode != HttpStatusCode.OK)
                {
                    OtherFailures.Enqueue($"client {client}: {(int)response.StatusCode}");
                }
                else
                {
                    Interlocked.Increment(ref _answeredWithKid[client]);
                    Interlocked.Increment(ref _answered);
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
        }
    }
}
