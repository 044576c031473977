using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Soma.Contracts.Events;
using Soma.Testing.Tools;
using Soma.Tools.Invocation;
using Soma.Tools.Registry;

namespace Soma.Tools.Tests.Invocation;

/// <summary>
/// A streaming tool through the invoker: its chunks reach the caller's <see cref="ToolContext.Output"/> as they come,
/// and the durable <c>tool.output</c> carries the whole output as kept, its SHA-256 and whether it was cut.
/// </summary>
public sealed class ToolOutputEventTests : IAsyncLifetime
{
    private const string Roles = """
        version: 1
        roles:
          user:
            tools: ["test.count"]
        """;

    private SqliteToolHost _host = null!;

    public async ValueTask InitializeAsync() =>
        _host = await SqliteToolHost.StartAsync(Roles, services => services.TryAddEnumerable(ServiceDescriptor.Singleton<ITool, CountTool>()));

    public async ValueTask DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Chunks_reach_the_callers_output_and_the_recorded_output_is_whole_with_its_hash()
    {
        var live = new CollectingOutput();
        var invocation = await InvokeAsync("""{"count":5}""", live);

        Assert.Equal(["line 1\n", "line 2\n", "line 3\n", "line 4\n", "line 5\n"], live.Chunks);
        var output = await RecordedOutputAsync(invocation);
        Assert.Equal(CountTool.Expected(5), output.Chunk);
        Assert.Equal(0, output.Index);
        Assert.Equal(Sha256(CountTool.Expected(5)), output.Sha256);
        Assert.False(output.Truncated);
    }

    [Fact]
    public async Task Output_over_the_cap_is_cut_and_marked_truncated_with_the_hash_of_what_was_kept()
    {
        var count = 3000;
        Assert.True(CountTool.Expected(count).Length > ToolInvoker.MaxOutputCharacters);
        var invocation = await InvokeAsync($$"""{"count":{{count}}}""", new CollectingOutput());

        Assert.True(invocation.Result.Truncated);
        var output = await RecordedOutputAsync(invocation);
        Assert.True(output.Truncated);
        Assert.StartsWith(output.Chunk[..^1], CountTool.Expected(count), StringComparison.Ordinal);
        Assert.Equal(ToolInvoker.MaxOutputCharacters + 1, output.Chunk.Length);
        Assert.Equal(Sha256(output.Chunk), output.Sha256);
        Assert.Equal(Encoding.UTF8.GetByteCount(output.Chunk), output.Bytes);
    }

    private Task<ToolInvocation> InvokeAsync(string arguments, IToolOutput output) =>
        _host.Invoker.InvokeAsync(new ToolCallRequest(
            new ToolCaller("t-tools", "alice", ["user"]), $"call_{Guid.NewGuid():N}", CountTool.ToolName, arguments,
            ToolCalls.Context() with { Output = output }, "tools", TimeSpan.FromSeconds(30)));

    private async Task<ToolOutput> RecordedOutputAsync(ToolInvocation invocation)
    {
        Assert.True(invocation.Ran);
        await using var transaction = await _host.Store.BeginAsync();
        var sink = new RecordingSink(transaction);
        await _host.Invoker.RecordAsync(invocation, sink);
        return Assert.Single(sink.Events.OfType<ToolOutput>());
    }

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private sealed class CollectingOutput : IToolOutput
    {
        public List<string> Chunks { get; } = [];

        public ValueTask WriteAsync(string chunk, CancellationToken cancellationToken)
        {
            Chunks.Add(chunk);
            return ValueTask.CompletedTask;
        }
    }
}
