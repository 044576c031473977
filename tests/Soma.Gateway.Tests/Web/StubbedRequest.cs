namespace Soma.Gateway.Tests.Web;

/// <summary>One events request the stub answered: its Last-Event-ID and Authorization headers, and whether it got a scripted body.</summary>
internal sealed record StubbedRequest(string? LastEventId, string? Authorization, string Url, bool Scripted);
