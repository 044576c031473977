using Microsoft.Extensions.Logging;
using NATS.Client.Core;

namespace Soma.Messaging.Nats;

/// <summary>Builds the one <see cref="NatsConnection"/> of a process from <see cref="NatsBusOptions"/>.</summary>
internal static class NatsConnectionFactory
{
    /// <summary>A connection that connects on first use and reconnects for ever; its name says which process it is.</summary>
    public static NatsConnection Create(NatsBusOptions options, ILoggerFactory? loggerFactory = null)
    {
        var timeout = TimeSpan.FromSeconds(options.TimeoutSeconds);
        var opts = NatsOpts.Default with
        {
            Url = options.Url,
            Name = $"soma-{Environment.MachineName}-{Environment.ProcessId}",
            AuthOpts = NatsAuthOpts.Default with
            {
                Username = options.User,
                Password = options.Password,
                Token = options.Token,
                CredsFile = options.CredentialsFile,
            },
            ConnectTimeout = timeout,
            RequestTimeout = timeout,
            CommandTimeout = timeout,
            LoggerFactory = loggerFactory ?? NatsOpts.Default.LoggerFactory,
        };
        return new NatsConnection(opts);
    }

    /// <summary>The host:port list of the configured URLs, without credentials: safe for health and logs.</summary>
    public static string Hosts(string urls) => string.Join(',', urls
        .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) ? $"{uri.Host}:{(uri.IsDefaultPort ? 4222 : uri.Port)}" : "?"));
}
