namespace Soma.Tools.Registry;

/// <summary>
/// Tools that come and go while the server runs (those of MCP servers): the <see cref="ToolRegistry"/> consults every
/// registered source on each look-up, so a tool appears once its source lists it, without a restart.
/// </summary>
public interface IToolSource
{
    /// <summary>The tools the source offers now: a snapshot that is replaced, never changed in place.</summary>
    IReadOnlyCollection<ITool> Tools { get; }

    /// <summary>Raised after <see cref="Tools"/> was replaced.</summary>
    event EventHandler? Changed;
}
