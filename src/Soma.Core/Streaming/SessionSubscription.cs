using System.Threading.Channels;

namespace Soma.Core.Streaming;

/// <summary>A subscriber's view of a session: the answers and tool outputs in progress when it subscribed, then live items.</summary>
public sealed class SessionSubscription : IDisposable
{
    private readonly Action<SessionSubscription> _leave;
    private int _disposed;

    /// <summary>Creates a subscription; <paramref name="leave"/> runs once, on the first dispose.</summary>
    /// <param name="session">The session.</param>
    /// <param name="answers">Answers in progress at subscription time.</param>
    /// <param name="channel">Live items after the snapshot; the stream writes, the subscriber reads.</param>
    /// <param name="leave">Unregisters the subscription.</param>
    /// <param name="toolOutputs">Tool outputs in progress at subscription time.</param>
    public SessionSubscription(
        SessionKey session, IReadOnlyList<AnswerSnapshot> answers, Channel<SessionStreamItem> channel, Action<SessionSubscription> leave,
        IReadOnlyList<ToolOutputSnapshot>? toolOutputs = null)
    {
        Session = session;
        Answers = answers;
        ToolOutputs = toolOutputs ?? [];
        Channel = channel;
        _leave = leave;
    }

    /// <summary>The session.</summary>
    public SessionKey Session { get; }

    /// <summary>Answers in progress at subscription time, with their text so far.</summary>
    public IReadOnlyList<AnswerSnapshot> Answers { get; }

    /// <summary>Tool outputs in progress at subscription time, with their output so far.</summary>
    public IReadOnlyList<ToolOutputSnapshot> ToolOutputs { get; }

    /// <summary>Live items after the snapshot.</summary>
    public ChannelReader<SessionStreamItem> Items => Channel.Reader;

    /// <summary>The channel the stream writes live items to.</summary>
    public Channel<SessionStreamItem> Channel { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _leave(this);
        }
    }
}
