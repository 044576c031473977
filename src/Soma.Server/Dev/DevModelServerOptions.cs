namespace Soma.Server.Dev;

/// <summary>Settings of a <see cref="DevModelServer"/>.</summary>
public sealed class DevModelServerOptions
{
    /// <summary>The loopback port to listen on; 0 (the default) takes a free one.</summary>
    public int Port { get; set; }

    /// <summary>
    /// When set, every request must carry <c>Authorization: Bearer &lt;key&gt;</c>; others get 401 with an OpenAI-style
    /// <c>invalid_api_key</c> error. Default: none, any request is accepted.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>Pause between streamed chunks, so streaming can be seen (the CLI uses 30 ms). Default: none.</summary>
    public TimeSpan ChunkDelay { get; set; }

    /// <summary>Model ids listed by <c>GET /v1/models</c>. Default <c>["soma-dev"]</c>; chat requests may name any model.</summary>
    public IReadOnlyList<string> Models { get; set; } = ["soma-dev"];

    /// <summary>Where the server logs one line per request (and Kestrel its own events). Default: nowhere.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }
}
