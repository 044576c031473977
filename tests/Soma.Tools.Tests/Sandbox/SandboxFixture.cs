using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Soma.Core.Sandbox;
using Soma.Testing;
using Soma.Tools.Sandbox;
using Soma.Tools.Sandbox.Egress;

namespace Soma.Tools.Tests.Sandbox;

/// <summary>
/// The real sandboxes of this machine (bubblewrap and gVisor from Debian's packages, the launcher built with the
/// tools), a workspace, and a data directory with a key and a database the sandbox must never see.
/// </summary>
public sealed class SandboxFixture : IDisposable
{
    private readonly ServiceProvider _services;

    public SandboxFixture()
    {
        var options = Options.Create(new SandboxOptions());
        Host = new SandboxHost(options);
        _services = new ServiceCollection().AddMetrics().AddLogging(logging => logging.AddProvider(Logs)).BuildServiceProvider();
        Egress = new SandboxEgress(_services.GetRequiredService<ILogger<SandboxEgress>>(), _services.GetRequiredService<IMeterFactory>());
        Bubblewrap = new BubblewrapSandbox(options, Host, Egress);
        Gvisor = new GvisorSandbox(options, Host, _services.GetRequiredService<ILogger<GvisorSandbox>>());
        Directory.CreateDirectory(System.IO.Path.Combine(Data.Path, "keys"));
        KeyFile = System.IO.Path.Combine(Data.Path, "keys", "signing.key");
        File.WriteAllText(KeyFile, Secret);
        DatabaseFile = System.IO.Path.Combine(Data.Path, "soma.db");
        File.WriteAllText(DatabaseFile, "SQLite format 3\0" + Secret);
    }

    /// <summary>Text in the host's secret files; no sandboxed output may ever hold it.</summary>
    public const string Secret = "s3cr3t-never-in-a-sandbox";

    public SandboxHost Host { get; }

    /// <summary>The egress proxy service the bubblewrap profile uses; its logs go to <see cref="Logs"/>.</summary>
    public SandboxEgress Egress { get; }

    internal CapturedLogs Logs { get; } = new();

    public IServiceProvider Services => _services;

    public BubblewrapSandbox Bubblewrap { get; }

    public GvisorSandbox Gvisor { get; }

    public TempDirectory Data { get; } = new("soma-sandbox-data");

    public string KeyFile { get; }

    public string DatabaseFile { get; }

    public IToolSandbox Profile(string name) => name switch
    {
        "bubblewrap" => Bubblewrap,
        "gvisor" => Gvisor,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "no such profile"),
    };

    /// <summary>The profile, asserting it can run here: on CI a missing sandbox fails the run, it never skips.</summary>
    public IToolSandbox Require(string name)
    {
        var sandbox = Profile(name);
        Assert.True(sandbox.Availability.Available, $"The {name} sandbox cannot run on this machine: {sandbox.Availability.Problem}");
        return sandbox;
    }

    public void Dispose()
    {
        Bubblewrap.Dispose();
        Host.Dispose();
        Data.Dispose();
        _services.Dispose();
    }
}
