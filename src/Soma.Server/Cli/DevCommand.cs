using System.CommandLine;
using System.Net;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;
using Soma.Server.Dev;

namespace Soma.Server.Cli;

/// <summary><c>soma dev model-server</c>: an OpenAI-compatible model server on loopback, for trying SomaAgent without a provider.</summary>
internal static class DevCommand
{
    public const int DefaultPort = 5199;

    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "Loopback port (0 takes a free one).", DefaultValueFactory = _ => DefaultPort };
        var apiKey = new Option<string?>("--api-key") { Description = "Require 'Authorization: Bearer <key>' (default: any request is accepted).", HelpName = "key" };
        var chunkDelay = new Option<int>("--chunk-delay-ms") { Description = "Pause between streamed chunks, so streaming can be seen.", DefaultValueFactory = _ => 30 };
        var modelServer = new Command("model-server",
            "Run an OpenAI-compatible model server on 127.0.0.1 that streams deterministic answers and calls the time.now, "
            + "math.evaluate and session.search tools when offered; [[status:429 retry-after=1]], [[delay:300]], [[cut]], "
            + "[[malformed]], [[words:N]] in a message script failures. Runs until Ctrl-C.")
        {
            port, apiKey, chunkDelay,
        };
        modelServer.SetAction((parse, cancellationToken) =>
            RunModelServerAsync(parse.GetValue(port), parse.GetValue(apiKey), parse.GetValue(chunkDelay), cancellationToken));
        return new Command("dev", "Tools for developing with SomaAgent.") { modelServer };
    }

    private static async Task<int> RunModelServerAsync(int port, string? apiKey, int chunkDelayMs, CancellationToken cancellationToken)
    {
        if (port is < 0 or > IPEndPoint.MaxPort)
        {
            await Console.Error.WriteLineAsync($"soma: --port {port} is not a TCP port (0-{IPEndPoint.MaxPort}).");
            return ExitCodes.BadInput;
        }

        if (chunkDelayMs is < 0 or > 10_000)
        {
            await Console.Error.WriteLineAsync($"soma: --chunk-delay-ms {chunkDelayMs} is not between 0 and 10000.");
            return ExitCodes.BadInput;
        }

        using var loggerFactory = LoggerFactory.Create(logging => logging
            .AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.TimestampFormat = "HH:mm:ss ";
            })
            .AddFilter("Microsoft", LogLevel.Warning)
            // A failed start (port in use) is reported below in one line, not as the host's stack trace.
            .AddFilter("Microsoft.Extensions.Hosting", LogLevel.None));
        var options = new DevModelServerOptions
        {
            Port = port,
            ApiKey = string.IsNullOrEmpty(apiKey) ? null : apiKey,
            ChunkDelay = TimeSpan.FromMilliseconds(chunkDelayMs),
            LoggerFactory = loggerFactory,
        };

        DevModelServer server;
        try
        {
            server = await DevModelServer.StartAsync(options, cancellationToken);
        }
        catch (IOException ex)
        {
            await Console.Error.WriteLineAsync(ex.InnerException is AddressInUseException
                ? $"soma: cannot listen on 127.0.0.1:{port}: the port is in use (another model server? choose one with --port)."
                : $"soma: cannot listen on 127.0.0.1:{port}: {ex.Message}");
            return ExitCodes.Failed;
        }

        await using (server)
        {
            var url = server.BaseAddress;
            var model = options.Models[0];
            Console.Out.WriteLine($"Dev model server listening on {url}");
            Console.Out.WriteLine($"  point SomaAgent at it: Soma__Models__Endpoints__dev__Endpoint={url} Soma__Models__Endpoints__dev__Model={model}");
            if (options.ApiKey is not null)
            {
                Console.Out.WriteLine("  requests need: Authorization: Bearer <the --api-key value>");
            }

            Console.Out.WriteLine($"  try: curl -N {url}chat/completions -H 'Content-Type: application/json' "
                + $"-d '{{\"model\":\"{model}\",\"stream\":true,\"messages\":[{{\"role\":\"user\",\"content\":\"hello there\"}}]}}'");
            Console.Out.WriteLine("  Ctrl-C stops it.");
            Console.Out.Flush();

            await WaitForStopAsync(cancellationToken);
        }

        return ExitCodes.Ok;
    }

    /// <summary>Completes on Ctrl-C or SIGTERM (handled here: the embedded server leaves signals to its host process).</summary>
    private static async Task WaitForStopAsync(CancellationToken cancellationToken)
    {
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Stop(PosixSignalContext signal)
        {
            signal.Cancel = true;
            stopped.TrySetResult();
        }

        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var cancelled = cancellationToken.Register(() => stopped.TrySetResult());
        await stopped.Task;
    }
}
