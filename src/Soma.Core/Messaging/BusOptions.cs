using System.ComponentModel.DataAnnotations;

namespace Soma.Core.Messaging;

/// <summary>Which event bus this process uses, bound from <c>Soma:Bus</c>.</summary>
public sealed class BusOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Soma:Bus";

    /// <summary><c>in-process</c> (the embedded default) or <c>nats</c> (JetStream; see <c>Soma:Bus:Nats</c>).</summary>
    [RegularExpression("^(in-process|nats)$", ErrorMessage = "The bus provider is 'in-process' or 'nats'.")]
    public string Provider { get; set; } = "in-process";

    /// <summary>The most events the in-process bus keeps for its subscribers (about 1 KB each); the oldest go first. Default 10,000.</summary>
    [Range(1, 10_000_000)]
    public int InProcessMaxMessages { get; set; } = 10_000;
}
