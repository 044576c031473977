namespace Soma.Messaging.Nats;

/// <summary>placeholder: the NATS adapter's options (written by the adapter's author).</summary>
internal static class Placeholder;
