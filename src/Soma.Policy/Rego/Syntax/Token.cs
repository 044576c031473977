namespace Soma.Policy.Rego.Syntax;

/// <summary>A token: its kind, text (strings unescaped), place, and whether whitespace or a line break precedes it
/// (Rego separates body expressions by line breaks, and calls and brackets must touch what they apply to).</summary>
internal readonly record struct Token(TokenKind Kind, string Text, int Line, int Column, bool SpaceBefore, bool NewlineBefore)
{
    public bool IsIdentifier(string text) => Kind == TokenKind.Identifier && Text == text;
}
