namespace Soma.Policy.Rego.Syntax;

/// <summary>Infix operators, lowest precedence first.</summary>
internal enum BinaryOperator
{
    /// <summary><c>a or b</c> (a Regorus extension): <c>a</c> unless undefined, false or null, else <c>b</c>.</summary>
    OrElse,
    Unify,
    Assign,
    Equal,
    NotEqual,
    Less,
    Greater,
    LessOrEqual,
    GreaterOrEqual,
    Union,
    Intersection,
    Plus,
    Minus,
    Multiply,
    Divide,
    Remainder,
}
