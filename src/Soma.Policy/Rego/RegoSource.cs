namespace Soma.Policy.Rego;

/// <summary>A Rego module's text and the file name errors cite.</summary>
/// <param name="File">The file name.</param>
/// <param name="Text">The source text.</param>
public sealed record RegoSource(string File, string Text);
