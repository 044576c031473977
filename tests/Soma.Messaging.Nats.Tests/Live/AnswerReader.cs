using Soma.Core.Streaming;

namespace Soma.Messaging.Nats.Tests.Live;

/// <summary>
/// What an SSE client rebuilds from a subscription: each answer (and tool output) starts from the snapshot, a delta with
/// index 0 sets its text, a later one appends. Reading stops at a durable wake-up, which the tests publish last from the worker: one
/// publisher's messages arrive in order, so everything before it has arrived too.
/// </summary>
internal sealed class AnswerReader
{
    private readonly SessionSubscription _subscription;

    public AnswerReader(SessionSubscription subscription)
    {
        _subscription = subscription;
        foreach (var answer in subscription.Answers)
        {
            Texts[answer.MessageId] = answer.Text;
        }

        foreach (var output in subscription.ToolOutputs)
        {
            ToolTexts[(output.RunId, output.ToolCallId)] = output.Text;
        }
    }

    public Dictionary<Guid, string> Texts { get; } = [];

    /// <summary>Tool outputs by run and tool call.</summary>
    public Dictionary<(Guid RunId, string ToolCallId), string> ToolTexts { get; } = [];

    public List<SessionStreamItem> Items { get; } = [];

    public int Durables { get; private set; }

    public async Task ReadUntilDurableAsync(int durables = 1, TimeSpan? timeout = null)
    {
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        while (Durables < durables)
        {
            Apply(await _subscription.Items.ReadAsync(deadline.Token));
        }
    }

    private void Apply(SessionStreamItem item)
    {
        Items.Add(item);
        if (item.Kind == SessionStreamItemKind.Durable)
        {
            Durables++;
        }
        else if (item.Kind == SessionStreamItemKind.ToolOutputDelta)
        {
            var key = (item.RunId, item.ToolCallId!);
            if (item.Index == 0)
            {
                ToolTexts[key] = item.Text;
            }
            else
            {
                Assert.True(ToolTexts.TryGetValue(key, out var text), $"Delta {item.Index} of tool call {item.ToolCallId} came without its start.");
                ToolTexts[key] = text + item.Text;
            }
        }
        else if (item.Index == 0)
        {
            Texts[item.MessageId] = item.Text;
        }
        else
        {
            Assert.True(Texts.TryGetValue(item.MessageId, out var text), $"Delta {item.Index} of {item.MessageId} came without its start.");
            Texts[item.MessageId] = text + item.Text;
        }
    }
}
