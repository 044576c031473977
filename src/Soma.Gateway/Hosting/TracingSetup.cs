using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using OpenTelemetry.Trace;
using Soma.Core.Telemetry;

namespace Soma.Gateway.Hosting;

/// <summary>
/// Tracing from the standard OpenTelemetry variables. Spans are always made (their ids go into logs, events and the run
/// rows, so a turn can be followed across processes); they are exported only when an OTLP endpoint is set
/// (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c> or <c>OTEL_EXPORTER_OTLP_TRACES_ENDPOINT</c>, with <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>,
/// <c>OTEL_EXPORTER_OTLP_HEADERS</c> and the rest read by the exporter itself). Sampling follows
/// <c>OTEL_TRACES_SAMPLER</c> / <c>OTEL_TRACES_SAMPLER_ARG</c>; the default is <c>parentbased_always_on</c>.
/// </summary>
internal static class TracingSetup
{
    /// <summary>The key of the sampler's name.</summary>
    public const string SamplerKey = "OTEL_TRACES_SAMPLER";

    /// <summary>The key of the sampler's argument (the ratio of a <c>traceidratio</c> sampler).</summary>
    public const string SamplerArgKey = "OTEL_TRACES_SAMPLER_ARG";

    /// <summary>Adds SomaAgent's sources, the request spans, the sampler and (when an endpoint is set) the OTLP exporter.</summary>
    public static void Configure(TracerProviderBuilder tracing, Sampler sampler, bool export)
    {
        tracing
            .AddSource(SomaActivitySources.Prefix + "*")
            .AddAspNetCoreInstrumentation(options =>
                // Scrapes and probes are not turns: they would fill a trace store with noise.
                options.Filter = context => context.Request.Path is { Value: not ("/metrics" or "/healthz" or "/readyz") })
            .SetSampler(sampler);
        if (export)
        {
            tracing.AddOtlpExporter();
        }
    }

    /// <summary>Whether an OTLP endpoint for traces is configured.</summary>
    public static bool ExportsTraces(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"])
        || !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);

    /// <summary>The sampler named by <c>OTEL_TRACES_SAMPLER</c>; an unknown name or a bad ratio stops the start naming the key.</summary>
    public static Sampler Sampler(IConfiguration configuration)
    {
        var name = configuration[SamplerKey];
        var chosen = string.IsNullOrWhiteSpace(name) ? "parentbased_always_on" : name.Trim().ToLowerInvariant();
        return chosen switch
        {
            "always_on" => new AlwaysOnSampler(),
            "always_off" => new AlwaysOffSampler(),
            "traceidratio" => new TraceIdRatioBasedSampler(Ratio(configuration)),
            "parentbased_always_on" => new ParentBasedSampler(new AlwaysOnSampler()),
            "parentbased_always_off" => new ParentBasedSampler(new AlwaysOffSampler()),
            "parentbased_traceidratio" => new ParentBasedSampler(new TraceIdRatioBasedSampler(Ratio(configuration))),
            _ => throw new OptionsValidationException(SamplerKey, typeof(TracerProviderBuilder),
                [$"{SamplerKey} '{name}' is not supported: use always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio."]),
        };
    }

    private static double Ratio(IConfiguration configuration)
    {
        var value = configuration[SamplerArgKey];
        if (string.IsNullOrWhiteSpace(value))
        {
            return 1.0;
        }

        return double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var ratio) && ratio is >= 0 and <= 1
            ? ratio
            : throw new OptionsValidationException(SamplerArgKey, typeof(TracerProviderBuilder),
                [$"{SamplerArgKey} '{value}' must be a number from 0 to 1 (the share of new traces sampled)."]);
    }
}
