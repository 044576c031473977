using System.Reflection;
using Microsoft.Extensions.Logging;

namespace Soma.Server.Tests.Telemetry;

/// <summary>Each project's <c>[LoggerMessage]</c> event ids are unique in it, so an event id names one kind of log line.</summary>
public sealed class LogEventIdTests
{
    [Fact]
    public void No_two_log_messages_of_a_project_share_an_event_id()
    {
        var assemblies = Directory.GetFiles(AppContext.BaseDirectory, "Soma.*.dll")
            .Where(f => !Path.GetFileName(f).Contains(".Tests", StringComparison.Ordinal) && !Path.GetFileName(f).StartsWith("Soma.Testing", StringComparison.Ordinal))
            .Select(Assembly.LoadFrom)
            .Append(typeof(Soma.Server.Hosting.DemoMode).Assembly)
            .Distinct()
            .ToList();
        var total = 0;
        var problems = new List<string>();
        foreach (var assembly in assemblies)
        {
            var messages = assembly.GetTypes()
                .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
                .Select(m => (Method: m, Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
                .Where(m => m.Attribute is not null)
                .ToList();
            total += messages.Count;
            foreach (var duplicate in messages.GroupBy(m => m.Attribute!.EventId).Where(g => g.Count() > 1))
            {
                problems.Add($"{assembly.GetName().Name}: event id {duplicate.Key} is used by {string.Join(", ", duplicate.Select(m => m.Method.DeclaringType!.FullName + "." + m.Method.Name))}");
            }
        }

        Assert.True(total >= 80, $"only {total} [LoggerMessage] methods found in {assemblies.Count} assemblies");
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }
}
