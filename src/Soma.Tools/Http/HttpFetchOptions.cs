using System.ComponentModel.DataAnnotations;

namespace Soma.Tools.Http;

/// <summary>Caps of <c>http.fetch</c> (section <c>Soma:Tools:HttpFetch</c>). Where it may go is the policy's say (the <c>egress</c> obligation).</summary>
public sealed class HttpFetchOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Soma:Tools:HttpFetch";

    /// <summary>The most bytes of a response body kept (after decompression); the rest is cut and the result marked truncated. Default 262144.</summary>
    [Range(1, 16 * 1024 * 1024)]
    public int MaxResponseBytes { get; set; } = 262_144;

    /// <summary>The whole fetch, redirects included, in seconds; a body still coming then is cut and marked truncated. Default 20.</summary>
    [Range(1, 600)]
    public int TimeoutSeconds { get; set; } = 20;

    /// <summary>Redirects followed (each one re-checked against the grant); one more is an error. Default 5.</summary>
    [Range(0, 20)]
    public int MaxRedirects { get; set; } = 5;
}
