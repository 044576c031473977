using System.Diagnostics.Tracing;

namespace Soma.Benchmarks;

/// <summary>
/// A sampling allocation profile without dotnet-trace: the runtime's GC AllocationTick events (one per ~100 KB
/// allocated) name the type being allocated, so their counts rank what a loop allocates most.
/// </summary>
internal sealed class AllocationProfile : EventListener
{
    private readonly Dictionary<string, long> _bytes = new(StringComparer.Ordinal);
    private bool _on;

    public static void Run(Action warmUp, int n, Func<int, ValueTask<Soma.Core.Policy.PolicyDecision>> decide)
    {
        warmUp();
        using var listener = new AllocationProfile();
        listener._on = true;
        for (var i = 0; i < n; i++)
        {
            _ = decide(i).Result;
        }

        listener._on = false;
        lock (listener._bytes)
        {
            var total = listener._bytes.Values.Sum();
            Console.WriteLine("allocation profile (sampled):");
            foreach (var (type, bytes) in listener._bytes.OrderByDescending(b => b.Value).Take(30))
            {
                Console.WriteLine($"  {100.0 * bytes / total,5:0.0}%  {type}{Captures(type)}");
            }
        }
    }

    // A closure's class name says nothing; the variables it captures say where it comes from.
    private static string Captures(string type) => !type.StartsWith("<>c__DisplayClass", StringComparison.Ordinal)
        ? string.Empty
        : " " + string.Join(" | ", typeof(Soma.Policy.Rego.PreparedQuery).Assembly.GetTypes()
            .Where(t => t.Name == type)
            .Select(t => $"{t.DeclaringType?.Name}({string.Join(",", t.GetFields().Select(f => f.Name))})"));

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x1);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (!_on || !eventData.EventName!.StartsWith("GCAllocationTick", StringComparison.Ordinal) || eventData.Payload is null)
        {
            return;
        }

        var type = eventData.Payload[eventData.PayloadNames!.IndexOf("TypeName")] as string ?? "?";
        var amount = eventData.PayloadNames.IndexOf("AllocationAmount64") is var at and >= 0 ? Convert.ToInt64(eventData.Payload[at], System.Globalization.CultureInfo.InvariantCulture) : 100_000;
        lock (_bytes)
        {
            _bytes[type] = _bytes.GetValueOrDefault(type) + amount;
        }
    }
}
