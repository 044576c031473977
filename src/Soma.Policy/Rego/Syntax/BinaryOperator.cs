namespace Soma.Policy.Rego.Syntax;

/// <summary>Infix operators, lowest precedence first.</summary>
internal enum BinaryOperator
{
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
