namespace Soma.Contracts.Schemas;

/// <summary>One failing field of an event.</summary>
/// <param name="Pointer">JSON pointer to the field in the event, e.g. <c>/data/attempt</c>; empty for the whole event.</param>
/// <param name="Message">What is wrong with it.</param>
public sealed record ValidationError(string Pointer, string Message);
