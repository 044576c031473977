namespace Soma.Server.Dev;

/// <summary>One message of a chat request, reduced to what the dev model server looks at.</summary>
/// <param name="Role">system, user, assistant, tool, …</param>
/// <param name="Text">The text content (text parts joined); empty when there is none.</param>
internal sealed record IncomingMessage(string Role, string Text);
