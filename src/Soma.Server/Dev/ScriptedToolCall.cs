namespace Soma.Server.Dev;

/// <summary>A function call the scripted assistant makes.</summary>
/// <param name="Id">The call id the client echoes in its tool message, e.g. <c>call_1</c>.</param>
/// <param name="Name">The function (tool) name.</param>
/// <param name="ArgumentsJson">The arguments as the JSON text the model would produce, e.g. <c>{"expression":"2+3"}</c>.</param>
public sealed record ScriptedToolCall(string Id, string Name, string ArgumentsJson);
