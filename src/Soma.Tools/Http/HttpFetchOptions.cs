using System.ComponentModel.DataAnnotations;

namespace Soma.Tools.Http;

/// <summary>Caps of <c>http.fetch</c> (section <c>Soma:Tools:HttpFetch</c>). Where it may go is the policy's say (the <c>egress</c> obligation).</summary>
public sealed class HttpFetchOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Soma:Tools:HttpFetch";

    /// <summary>
    /// The most bytes of a response body read (after decompression); the rest is not read, and the result is marked
    /// truncated. Default 12000; at most 15000, since the model is handed at most 16000 characters of a result.
    /// </summary>
    [Range(1, 15_000)]
    public int MaxResponseBytes { get; set; } = 12_000;

    /// <summary>The whole fetch, redirects included, in seconds; a body still coming then is cut and marked truncated. Default 20.</summary>
    [Range(1, 600)]
    public int TimeoutSeconds { get; set; } = 20;

    /// <summary>Redirects followed (each one re-checked against the grant); one more is an error. Default 5.</summary>
    [Range(0, 20)]
    public int MaxRedirects { get; set; } = 5;
}
