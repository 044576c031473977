namespace Soma.Tools.Sdk;

/// <summary>
/// Makes a method a tool. At build time the tools source generator writes an <see cref="Registry.ITool"/> for it, nested in
/// the method's (partial) type and named after the method (<c>Now</c> → <c>NowTool</c>): its description comes from the
/// method's <c>&lt;summary&gt;</c> (and <c>&lt;returns&gt;</c>), its JSON Schema from the parameters, their
/// <c>&lt;param&gt;</c> docs and their <c>System.ComponentModel.DataAnnotations</c> attributes. <c>AddGeneratedTools()</c>
/// registers every such tool of the assembly. See docs/tools.md, "Writing a tool".
/// </summary>
/// <param name="name">The registered name, e.g. <c>time.now</c>: a letter, then letters, digits, <c>_ . -</c>; at most 64.</param>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class ToolAttribute(string name) : Attribute
{
    /// <summary>The registered name.</summary>
    public string Name { get; } = name;

    /// <summary>How much harm a call could do: <c>low</c> (the default), <c>medium</c> or <c>high</c>; the policy weighs it.</summary>
    public string Risk { get; set; } = "low";

    /// <summary>Whether the tool runs in a sandbox (the policy may require one).</summary>
    public bool Sandboxed { get; set; }
}
