using System.Diagnostics.CodeAnalysis;

namespace Soma.Contracts.Schemas;

/// <summary>One failing field of an event.</summary>
/// <param name="Pointer">JSON pointer to the field in the event, e.g. <c>/data/attempt</c>; empty for the whole event.</param>
/// <param name="Message">What is wrong with it.</param>
[SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "A JSON Pointer (RFC 6901), the name the validation output of JSON Schema gives it; not a pointer type.")]
public sealed record ValidationError(string Pointer, string Message);
