using System.ComponentModel.DataAnnotations;

namespace Soma.Agents.Models;

/// <summary>
/// <c>Soma:Models</c>: the model endpoints (any OpenAI-compatible server), by name, and the order in which a call
/// falls back from one to the next.
/// </summary>
public sealed class ModelOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Soma:Models";

    /// <summary>Endpoints by name, e.g. <c>Soma:Models:Endpoints:local:Endpoint</c>.</summary>
    public IDictionary<string, ModelEndpointOptions> Endpoints { get; } = new Dictionary<string, ModelEndpointOptions>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Names (or aliases) tried in order; a 5xx, 429, timeout or open breaker moves the call to the next. When empty,
    /// every endpoint is tried in name order.
    /// </summary>
    public IList<string> Fallback { get; } = [];

    /// <summary>Failures in a row (within the sampling window) that open a model's breaker; at least 2 (the breaker's minimum throughput).</summary>
    [Range(2, 1000)]
    public int BreakerFailures { get; set; } = 3;

    /// <summary>Seconds a model's breaker stays open before a trial call.</summary>
    [Range(1, 3600)]
    public int BreakerSeconds { get; set; } = 30;
}

/// <summary>One OpenAI-compatible endpoint.</summary>
public sealed class ModelEndpointOptions
{
    /// <summary>The base URL, e.g. <c>https://api.openai.com/v1/</c> or <c>http://127.0.0.1:11434/v1/</c>.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>The model id sent to the server, e.g. <c>gpt-4o-mini</c>.</summary>
    public string? Model { get; set; }

    /// <summary>The API key (from configuration or the environment: <c>Soma__Models__Endpoints__NAME__ApiKey</c>). Never logged.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Other names this endpoint answers to in <see cref="ModelOptions.Fallback"/>.</summary>
    public IList<string> Aliases { get; } = [];

    /// <summary>Seconds one call may take, streaming included.</summary>
    [Range(1, 3600)]
    public int TimeoutSeconds { get; set; } = 120;

    /// <summary>Upper bound on tokens generated per call (null: the server's default).</summary>
    [Range(1, 1_000_000)]
    public int? MaxOutputTokens { get; set; }
}
