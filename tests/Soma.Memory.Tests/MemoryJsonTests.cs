using System.Text.Json;
using Soma.Core.Memory;
using Soma.Memory.Protocol;

namespace Soma.Memory.Tests;

public sealed class MemoryJsonTests
{
    [Fact]
    public void Requests_travel_as_snake_case_without_nulls()
    {
        using var value = JsonDocument.Parse("""{"text":"hello"}""");
        var json = JsonSerializer.Serialize(
            new RememberRequest("acme", "agent", "k1", value.RootElement.Clone(), Links: [new MemoryLink("answers", "k0", 0.5)]),
            MemoryJson.Default.RememberRequest);
        Assert.Equal("""{"tenant":"acme","namespace":"agent","key":"k1","value":{"text":"hello"},"links":[{"rel":"answers","target":"k0","weight":0.5}]}""", json);
    }

    [Fact]
    public void Recall_defaults_top_k_to_ten_when_the_field_is_missing()
    {
        var request = JsonSerializer.Deserialize("""{"query":"q","tenant":"t","namespace":"n"}""", MemoryJson.Default.RecallRequest)!;
        Assert.Equal(10, request.TopK);
    }
}
