using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace Soma.Testing;

public sealed partial class ScaleOutScenario
{
    // Waits until a worker holds the lease of a run whose answer is streaming on its session's stream (deltas seen, no
    // final), then kill -9s that worker and starts it again with the same arguments and environment. If no delta reaches
    // any stream at all (live deltas do not cross processes), it settles for a worker holding a running turn's lease,
    // and says so.
    private async Task<KillOutcome> KillOneWorkerMidTurnAsync(Node[] workers, List<Task> senders, CancellationToken cancellationToken)
    {
        var waiting = Stopwatch.StartNew();
        while (true)
        {
            if (senders.All(t => t.IsCompleted))
            {
                return new KillOutcome("no kill: every turn ended before a worker was seen writing one", false, []);
            }

            if (waiting.Elapsed > _options.Patience)
            {
                throw new TimeoutException($"no worker was seen holding a streaming turn within {_options.Patience}.");
            }

            var leases = await LeasesAsync(cancellationToken);
            var anyDelta = _watches.Any(w => w.AnyDelta);
            foreach (var worker in workers)
            {
                var pid = worker.Process!.Id;
                var held = leases.Where(l => IsOwnedBy(l.Owner, pid))
                    .Select(l => _byRun.GetValueOrDefault(l.RunId)).OfType<Sent>().ToList();
                var streaming = held.Where(IsStreaming).ToList();
                var fallback = !anyDelta && waiting.Elapsed > TimeSpan.FromSeconds(8) && held.Any(h => DateTime.UtcNow - h.At > TimeSpan.FromMilliseconds(300));
                if (streaming.Count == 0 && !fallback)
                {
                    continue;
                }

                var deltas = streaming.Sum(r => _watches[r.SessionIndex].DeltasOf(r.ReplyId));
                var process = worker.Process;
                await process.KillHardAsync();
                var description = streaming.Count > 0
                    ? $"kill -9 {worker.Name} (pid {pid}) holding {held.Count} runs, {streaming.Count} of them streaming ({deltas} deltas seen), "
                        + $"{_sent.Count} of {_options.Messages} messages sent, after {_clock.Elapsed.TotalSeconds:0.0} s"
                    : $"kill -9 {worker.Name} (pid {pid}) holding {held.Count} running turns but no delta had reached any stream after {waiting.Elapsed.TotalSeconds:0.0} s";
                Log(description);

                // Still streaming after the kill: its final has not come (the check ran before the kill).
                var interrupted = streaming.Where(r => !_watches[r.SessionIndex].IsFinal(r.ReplyId)).Select(r => r.ReplyId).ToList();
                await process.DisposeAsync();
                Keep($"killed {worker.Name}", process);
                await RestartAsync(worker, cancellationToken);
                Log($"{worker.Name} listening again");
                return new KillOutcome(description, streaming.Count > 0, interrupted);
            }

            await Task.Delay(20, cancellationToken);
        }
    }

    // Well into the answer (a quarter of its words streamed) and not final: the kill cuts it in the middle.
    private bool IsStreaming(Sent sent)
    {
        var watch = _watches[sent.SessionIndex];
        return watch.DeltasOf(sent.ReplyId) >= Math.Max(1, _options.Words / 4) && !watch.IsFinal(sent.ReplyId);
    }

    // A worker's lease owner id is {machine}-{pid}-{32 hex digits} (RunWorker.WorkerId).
    private static bool IsOwnedBy(string owner, int pid) =>
        owner.Length > 33 && owner[..^33].EndsWith(string.Create(CultureInfo.InvariantCulture, $"-{pid}"), StringComparison.Ordinal);

    private async Task RestartAsync(Node node, CancellationToken cancellationToken)
    {
        for (var start = 1; ; start++)
        {
            node.Process = SomaProcess.Start(node.Arguments, node.Environment);
            try
            {
                await node.Process.WaitForOutputAsync("listening on", _options.Patience);
                return;
            }
            catch (InvalidOperationException) when (node.Process.HasExited && start < 3)
            {
                // Seen with the gateway once in many runs: the restarted host stopped while binding. Recorded in the report.
                _failedStarts.Add($"{node.Name} exit {node.Process.ExitCode}: {node.Process.Stdout}{node.Process.Stderr}");
                Keep($"{node.Name} that failed to start", node.Process);
                await node.Process.DisposeAsync();
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
    }

    private async Task<List<(Guid RunId, string Owner)>> LeasesAsync(CancellationToken cancellationToken)
    {
        var leases = new List<(Guid, string)>();
        await using var db = new NpgsqlConnection(_connectionString);
        await db.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT id, lease_owner FROM runs WHERE tenant_id = @tenant AND state = 1 AND lease_owner IS NOT NULL AND lease_expires_at > now()", db);
        command.Parameters.AddWithValue("tenant", _options.Tenant);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            leases.Add((reader.GetGuid(0), reader.GetString(1)));
        }

        return leases;
    }

    private sealed record KillOutcome(string Description, bool WhileStreaming, IReadOnlyList<Guid> Interrupted);
}
