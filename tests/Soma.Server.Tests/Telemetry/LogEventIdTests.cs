using System.Reflection;
using Microsoft.Extensions.Logging;

namespace Soma.Server.Tests.Telemetry;

/// <summary>
/// Each project's log event ids come from its one registry (an internal <c>LogEvents</c> class) and are unique in it, so an
/// event id names one kind of log line.
/// </summary>
public sealed class LogEventIdTests
{
    [Fact]
    public void Every_log_message_takes_its_event_id_from_its_projects_registry_and_no_two_share_one()
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

            if (messages.Count == 0)
            {
                continue;
            }

            var registry = assembly.GetTypes().Where(t => t.Name == "LogEvents").ToList();
            if (registry.Count != 1)
            {
                problems.Add($"{assembly.GetName().Name}: {registry.Count} LogEvents classes, expected one registry");
                continue;
            }

            var ids = registry[0].GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).Select(f => (Name: f.Name, Id: (int)f.GetRawConstantValue()!)).ToList();
            foreach (var duplicate in ids.GroupBy(i => i.Id).Where(g => g.Count() > 1))
            {
                problems.Add($"{registry[0].FullName}: {string.Join(" and ", duplicate.Select(i => i.Name))} share the id {duplicate.Key}");
            }

            foreach (var stray in messages.Where(m => !ids.Any(i => i.Id == m.Attribute!.EventId)))
            {
                problems.Add($"{stray.Method.DeclaringType!.FullName}.{stray.Method.Name}: event id {stray.Attribute!.EventId} is not in {registry[0].FullName}");
            }
        }

        Assert.True(total >= 80, $"only {total} [LoggerMessage] methods found in {assemblies.Count} assemblies");
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }
}
