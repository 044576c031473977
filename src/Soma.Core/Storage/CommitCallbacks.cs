namespace Soma.Core.Storage;

/// <summary>The callbacks an <see cref="IStoreTransaction"/> runs once it has committed (shared by the adapters).</summary>
public sealed class CommitCallbacks
{
    private List<Action>? _callbacks;

    /// <summary>Adds a callback.</summary>
    public void Add(Action callback)
    {
        ArgumentNullException.ThrowIfNull(callback);
        (_callbacks ??= []).Add(callback);
    }

    /// <summary>Runs the callbacks in order, once; call after a successful commit.</summary>
    public void Run()
    {
        var callbacks = _callbacks;
        _callbacks = null;
        foreach (var callback in callbacks ?? [])
        {
            callback();
        }
    }
}
