namespace Soma.Server.Dev;

/// <summary>
/// A host lifetime that leaves Ctrl-C and SIGTERM alone: the dev model server runs inside tests and inside the CLI,
/// and whoever embeds it owns the process's signals.
/// </summary>
internal sealed class EmbeddedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
