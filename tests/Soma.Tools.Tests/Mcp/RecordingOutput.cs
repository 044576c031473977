namespace Soma.Tools.Tests.Mcp;

/// <summary>The chunks a tool streamed, in order.</summary>
internal sealed class RecordingOutput : Soma.Tools.Registry.IToolOutput
{
    private readonly List<string> _chunks = [];

    public IReadOnlyList<string> Chunks
    {
        get
        {
            lock (_chunks)
            {
                return [.. _chunks];
            }
        }
    }

    public ValueTask WriteAsync(string chunk, CancellationToken cancellationToken)
    {
        lock (_chunks)
        {
            _chunks.Add(chunk);
        }

        return ValueTask.CompletedTask;
    }
}
