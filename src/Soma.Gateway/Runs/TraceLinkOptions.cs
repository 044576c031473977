using System.ComponentModel.DataAnnotations;

namespace Soma.Gateway.Runs;

/// <summary>Links from the UI to the operator's tracing UI, bound from <c>Soma:Telemetry</c>.</summary>
public sealed class TraceLinkOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Soma:Telemetry";

    /// <summary>The placeholder the trace id replaces.</summary>
    public const string Placeholder = "{traceId}";

    /// <summary>
    /// An absolute http(s) URL containing <c>{traceId}</c>, e.g. <c>https://tempo.example/trace/{traceId}</c>; a run's
    /// timeline links to it with the run's trace id. Unset (the default): no link.
    /// </summary>
    public string? TraceUrlTemplate { get; set; }

    /// <summary>The link for <paramref name="traceId"/>, or null when no template is set.</summary>
    public string? LinkFor(string? traceId) =>
        string.IsNullOrWhiteSpace(TraceUrlTemplate) || traceId is null
            ? null
            : TraceUrlTemplate.Replace(Placeholder, Uri.EscapeDataString(traceId), StringComparison.Ordinal);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(TraceUrlTemplate))
        {
            yield break;
        }

        if (!TraceUrlTemplate.Contains(Placeholder, StringComparison.Ordinal))
        {
            yield return new ValidationResult($"The template must contain {Placeholder}, where the trace id goes.", [nameof(TraceUrlTemplate)]);
        }
        else if (!Uri.TryCreate(TraceUrlTemplate.Replace(Placeholder, "0", StringComparison.Ordinal), UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            yield return new ValidationResult("The template must be an absolute http or https URL.", [nameof(TraceUrlTemplate)]);
        }
    }
}
