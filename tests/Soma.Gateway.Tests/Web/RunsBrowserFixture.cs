using Soma.Testing;

namespace Soma.Gateway.Tests.Web;

/// <summary>
/// The chat fixture with a trace link template and a webhook receiver that answers 503 to the first delivery of each
/// key, so <c>demo.pipeline</c>'s <c>notify</c> step fails once before it succeeds.
/// </summary>
public sealed class RunsBrowserFixture : ChatBrowserFixture
{
    public const string TraceTemplate = "https://tempo.example/trace/{traceId}";

    private WebhookReceiver? _webhook;

    protected override async Task<RunningServer> StartServerAsync()
    {
        _webhook = await WebhookReceiver.StartAsync();
        _webhook.FailFirst = 1;
        return await base.StartServerAsync();
    }

    protected override void Configure(Dictionary<string, string?> configuration)
    {
        configuration["Soma:Demo:WebhookUrl"] = _webhook!.Url;
        configuration["Soma:Orchestration:PollMilliseconds"] = "20";
        configuration["Soma:Telemetry:TraceUrlTemplate"] = TraceTemplate;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_webhook is not null)
        {
            await _webhook.DisposeAsync();
        }
    }
}
