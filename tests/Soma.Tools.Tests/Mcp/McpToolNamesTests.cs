using Soma.Tools.Mcp;

namespace Soma.Tools.Tests.Mcp;

/// <summary>An MCP tool's name here fits the tool-name pattern and comes back unchanged from a model (dots travel as <c>__</c>).</summary>
public sealed class McpToolNamesTests
{
    [Theory]
    [InlineData("files", "read_file", "mcp.files.read_file")]
    [InlineData("files", "list directory/v2", "mcp.files.list_directory_v2")]
    [InlineData("gh", "repos.__get__", "mcp.gh.repos.get")]
    [InlineData("gh", "_private", "mcp.gh.private")]
    [InlineData("gh", "ünïcödé", "mcp.gh.n_c_d")]
    [InlineData("gh", "", "mcp.gh.tool")]
    public void Names_are_sanitised(string server, string tool, string expected) => Assert.Equal(expected, McpToolNames.For(server, tool));

    [Theory]
    [InlineData("a-very-long-server-name-0123456", "an_extremely_long_tool_name_that_goes_on_and_on_and_on")]
    [InlineData("s", "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.a.b.c.d.e.f.g.h")]
    [InlineData("srv", "weird__name_._with___runs_")]
    public void Every_name_fits_the_pattern_and_its_wire_form_round_trips(string server, string tool)
    {
        var name = McpToolNames.For(server, tool);
        Assert.Matches("^[A-Za-z][A-Za-z0-9_.-]{0,63}$", name);
        var wire = name.Replace(".", "__", StringComparison.Ordinal);
        Assert.True(wire.Length <= 64, wire);
        Assert.Equal(name, wire.Replace("__", ".", StringComparison.Ordinal));
    }
}
