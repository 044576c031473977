namespace Soma.Orchestration.Demo;

/// <summary>Settings of the demo workflows shipped with the server (section <c>Soma:Demo</c>).</summary>
public sealed class DemoOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Soma:Demo";

    /// <summary>
    /// Where <c>demo.pipeline</c>'s side-effecting <c>notify</c> step POSTs, with its idempotency key in the
    /// <c>Idempotency-Key</c> header. Empty: the step records that no webhook is configured and calls nothing.
    /// </summary>
    public string WebhookUrl { get; set; } = "";
}
