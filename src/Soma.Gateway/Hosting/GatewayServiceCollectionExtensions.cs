using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Soma.Contracts.Identity;
using Soma.Core.Configuration;
using Soma.Gateway.Auth;
using Soma.Gateway.Problems;

namespace Soma.Gateway.Hosting;

/// <summary>Registers the HTTP gateway: authentication, problem responses, OpenAPI, metrics and JSON settings.</summary>
public static class GatewayServiceCollectionExtensions
{
    /// <summary>The prefix of every SomaAgent <see cref="System.Diagnostics.Metrics.Meter"/> and <see cref="System.Diagnostics.ActivitySource"/>.</summary>
    public const string TelemetryPrefix = "Soma.";

    /// <summary>
    /// Adds the gateway's services. Every endpoint requires an authenticated caller with a tenant unless it opts out
    /// with <c>AllowAnonymous</c> (only <c>/healthz</c>, <c>/readyz</c> and <c>/.well-known/jwks.json</c> do).
    /// </summary>
    public static WebApplicationBuilder AddSomaGateway(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;

        services.BindAndValidate<GatewayOptions>(GatewayOptions.SectionName);
        services.BindAndValidate<Runs.TraceLinkOptions>(Runs.TraceLinkOptions.SectionName);
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<Auth.Keys.KeyRingOptions>().BindConfiguration(Auth.Keys.KeyRingOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<Auth.Keys.KeyRingOptions>, Auth.Keys.KeyRingOptionsValidator>());
        services.TryAddSingleton<Auth.Keys.IKeySource>(sp => Auth.Keys.KeySources.Create(
            sp.GetRequiredService<IOptions<Auth.Keys.KeyRingOptions>>().Value,
            sp.GetRequiredService<IOptions<AuthOptions>>().Value.Hs256KeyPath!,
            sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<Auth.Keys.KeyRingProvider>();
        services.AddHostedService(sp => sp.GetRequiredService<Auth.Keys.KeyRingProvider>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Soma.Core.Health.IHealthReporter, Auth.Keys.KeyRingProvider>(sp => sp.GetRequiredService<Auth.Keys.KeyRingProvider>()));
        services.TryAddSingleton<IIdGenerator>(sp => new UuidV7Generator(sp.GetRequiredService<TimeProvider>()));

        builder.WebHost.ConfigureKestrel((context, kestrel) =>
        {
            var gateway = context.Configuration.GetSection(GatewayOptions.SectionName).Get<GatewayOptions>() ?? new GatewayOptions();
            kestrel.Limits.MaxRequestBodySize = gateway.MaxRequestBodyBytes;
            kestrel.AddServerHeader = false;
        });
        services.Configure<KestrelServerOptions>(_ => { });

        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<JwtBearerOptions>, JwtBearerSetup>());
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder(JwtBearerDefaults.AuthenticationScheme).RequireAuthenticatedUser().Build());

        services.AddProblemDetails(options => options.CustomizeProblemDetails = ProblemDetailsSetup.Customize);
        services.AddRateLimiter(_ => { });
        services.AddOptions<Microsoft.AspNetCore.RateLimiting.RateLimiterOptions>().Configure<IServiceProvider>(Limits.TenantRateLimiting.Configure);
        services.TryAddSingleton<Soma.Core.Streaming.ISessionStream, Soma.Core.Streaming.InProcessSessionStream>();
        services.TryAddSingleton<Soma.Core.Limits.ActiveTurnCounter>();
        services.TryAddSingleton<Soma.Core.Storage.GroupCommitter>();
        services.TryAddSingleton<Sessions.MessageIntake>();
        services.Configure<JsonOptions>(options =>
        {
            options.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            options.SerializerOptions.TypeInfoResolverChain.Insert(0, GatewayJsonContext.Default);
            options.SerializerOptions.TypeInfoResolverChain.Add(new DefaultJsonTypeInfoResolver());
        });

        services.AddOpenApi(options => options
            .AddOperationTransformer<ProblemResponses>()
            .AddDocumentTransformer<JsonSchemaNullability>()
            .AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "SomaAgent API",
                Version = "v1",
                Description = "Durable, governed AI agents for many tenants. Every endpoint except /healthz, /readyz and /.well-known/jwks.json needs a bearer token.",
            };
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes["bearer"] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "JWT",
                Description = "A token from 'soma token issue' (claims: tenant, sub, roles).",
            };
            document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", document)] = [] }];
            return Task.CompletedTask;
        }));

        // Read now, so a wrong sampler stops the start naming its key before anything listens.
        var sampler = TracingSetup.Sampler(builder.Configuration);
        var exportTraces = TracingSetup.ExportsTraces(builder.Configuration);
        services.AddOpenTelemetry()
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(TelemetryPrefix + "*").AddAspNetCoreInstrumentation().AddPrometheusExporter();
                // Meter listeners are process-wide: without this, a second server in the same process (an embedding
                // host, the tests) would add its measurements to this one's /metrics. Meters made by another
                // container's IMeterFactory are dropped; meters without a factory (the runtime's) are kept.
                ((IDeferredMeterProviderBuilder)metrics).Configure((provider, builder) =>
                {
                    var own = provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
                    builder.AddView(instrument => instrument.Meter.Scope is { } scope && !ReferenceEquals(scope, own)
                        ? MetricStreamConfiguration.Drop
                        : null);
                });
            })
            .WithTracing(tracing => TracingSetup.Configure(tracing, sampler, exportTraces));
        // Every log line written inside a span carries its trace and span ids (shown by a console formatter with scopes).
        services.Configure<Microsoft.Extensions.Logging.LoggerFactoryOptions>(options => options.ActivityTrackingOptions =
            Microsoft.Extensions.Logging.ActivityTrackingOptions.TraceId | Microsoft.Extensions.Logging.ActivityTrackingOptions.SpanId
            | Microsoft.Extensions.Logging.ActivityTrackingOptions.ParentId);

        return builder;
    }
}
