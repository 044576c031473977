using Soma.Agents.Models;
using Soma.Server.Dev;

namespace Soma.Server.Hosting;

/// <summary>
/// <c>soma serve --demo</c>: chat on the first command, without a model provider. The dev model server (the scripted,
/// deterministic model the tests use) starts in this process on a free loopback port, and <c>Soma:Models</c> gets one
/// endpoint, <see cref="EndpointName"/>, whose model id <see cref="ModelId"/> says what it is where models are shown
/// (<c>/v1/health</c>, and from there the web UI's badge).
/// </summary>
/// <remarks>
/// A host of its own rather than routes on the platform's Kestrel: the platform calls it over HTTP exactly as it calls a
/// real provider (same client, timeouts, breaker), and the platform's API stays as documented, with no unauthenticated
/// <c>/v1/chat/completions</c> beside it.
/// </remarks>
internal static class DemoMode
{
    /// <summary>The name of the model endpoint <c>--demo</c> adds.</summary>
    public const string EndpointName = "demo";

    /// <summary>The demo model's id; the web UI shows a "scripted demo model" badge when a configured model has it.</summary>
    public const string ModelId = "demo-scripted";

    /// <summary>Pause between streamed chunks, so the answer is seen streaming (as <c>soma dev model-server</c> does).</summary>
    private static readonly TimeSpan ChunkDelay = TimeSpan.FromMilliseconds(30);

    /// <summary>Starts the demo model, runs <paramref name="serve"/> with the platform pointed at it, then stops the model.</summary>
    public static async Task<int> RunAsync(ServeSettings settings, Func<ServeSettings, CancellationToken, Task<int>> serve, CancellationToken cancellationToken)
    {
        DevModelServer model;
        try
        {
            model = await DevModelServer.StartAsync(new DevModelServerOptions { Models = [ModelId], ChunkDelay = ChunkDelay }, cancellationToken);
        }
        catch (IOException ex)
        {
            await Console.Error.WriteLineAsync($"soma: the demo model could not listen on loopback: {ex.Message}");
            return Cli.ExitCodes.Failed;
        }

        await using (model)
        {
            return await serve(settings with { Extra = Configure(settings.Extra, model.BaseAddress) }, cancellationToken);
        }
    }

    /// <summary><paramref name="extra"/> plus the keys that make <see cref="EndpointName"/> the demo model at <paramref name="endpoint"/>.</summary>
    public static Dictionary<string, string?> Configure(IReadOnlyDictionary<string, string?> extra, Uri endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var prefix = $"{ModelOptions.SectionName}:Endpoints:{EndpointName}:";
        return new Dictionary<string, string?>(extra, StringComparer.OrdinalIgnoreCase)
        {
            [prefix + nameof(ModelEndpointOptions.Endpoint)] = endpoint.ToString(),
            [prefix + nameof(ModelEndpointOptions.Model)] = ModelId,
        };
    }

    /// <summary>The banner's line about the model when the demo model is configured, else null.</summary>
    public static string? BannerLine(IConfiguration configuration)
    {
        var endpoints = configuration.GetSection($"{ModelOptions.SectionName}:Endpoints").GetChildren();
        if (!endpoints.Any(e => string.Equals(e[nameof(ModelEndpointOptions.Model)], ModelId, StringComparison.Ordinal)))
        {
            return null;
        }

        return $"  model: scripted demo model (not an AI) — it echoes you and calls tools by rule; for a real model set {ModelOptions.SectionName}:Endpoints (docs/getting-started.md)";
    }
}
