namespace Soma.Policy.Rego.Values;

/// <summary>The kinds of Rego value, in the order Rego sorts them (null first, sets last).</summary>
public enum ValueKind
{
    /// <summary><c>null</c>.</summary>
    Null = 0,

    /// <summary><c>true</c> or <c>false</c>.</summary>
    Boolean = 1,

    /// <summary>An integer (arbitrary size) or a float.</summary>
    Number = 2,

    /// <summary>A string.</summary>
    String = 3,

    /// <summary>An ordered list.</summary>
    Array = 4,

    /// <summary>A map from values to values.</summary>
    Object = 5,

    /// <summary>An unordered collection without duplicates.</summary>
    Set = 6,
}
