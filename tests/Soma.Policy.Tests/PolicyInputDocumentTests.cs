using System.Text;
using System.Text.Json;
using Soma.Core.Policy;

namespace Soma.Policy.Tests;

public sealed class PolicyInputDocumentTests
{
    // The document every engine hands to the policy: renaming or reordering a member breaks policies in the field.
    [Fact]
    public void The_input_document_is_pinned()
    {
        using var arguments = JsonDocument.Parse("""{"path": "/etc/hosts", "lines": [1, 2]}""");
        var input = new PolicyInput(
            "acme",
            "user-7",
            ["admin", "dev"],
            new PolicyToolInput("read_file", arguments.RootElement, "medium", Sandbox: true),
            "ses-1",
            "run-2",
            "tools",
            new DateTimeOffset(2026, 12, 2, 17, 20, 34, 500, TimeSpan.FromHours(1)));

        Assert.Equal(
            """{"tenant":"acme","subject":"user-7","roles":["admin","dev"],"tool":{"name":"read_file","arguments":{"path":"/etc/hosts","lines":[1,2]},"risk":"medium","sandbox":true},"session":"ses-1","run":"run-2","step":"tools","now":"2026-12-02T16:20:34.5Z"}""",
            Encoding.UTF8.GetString(PolicyInputDocument.Serialize(input)));
    }

    [Fact]
    public void Absent_context_is_null_and_absent_arguments_an_empty_object()
    {
        var input = new PolicyInput("acme", "user-7", [], new PolicyToolInput("clock", default, "low", Sandbox: false), null, null, null, new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));

        Assert.Equal(
            """{"input":{"tenant":"acme","subject":"user-7","roles":[],"tool":{"name":"clock","arguments":{},"risk":"low","sandbox":false},"session":null,"run":null,"step":null,"now":"2026-01-02T03:04:05Z"}}""",
            Encoding.UTF8.GetString(PolicyInputDocument.SerializeRequest(input)));
    }
}
