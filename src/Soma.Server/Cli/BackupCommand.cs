using System.CommandLine;
using System.Globalization;
using Npgsql;
using Soma.Server.Hosting;
using Soma.Storage.Sqlite;
using Spectre.Console;

namespace Soma.Server.Cli;

/// <summary>
/// <c>soma backup</c>: a consistent copy of the embedded SQLite store, taken while the server runs (SQLite's online
/// backup API, one read snapshot). On PostgreSQL it prints the <c>pg_dump</c>/<c>pg_restore</c> commands for this
/// configuration's database and exits 2: the database server's own tools are the right ones there (they handle roles,
/// large databases and point-in-time recovery), and running them from here would mean handing them the password.
/// Exit 0 done, 1 the copy failed, 2 bad input (no database, destination exists, PostgreSQL store).
/// </summary>
internal static class BackupCommand
{
    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "Data directory (default ./.soma; key Soma:DataDir).", HelpName = "dir" };
        var output = new Option<string>("--out") { Description = "The backup file to write (must not exist).", Required = true, HelpName = "file" };
        var command = new Command("backup", "Copy the embedded SQLite store to a file while the server runs; on PostgreSQL, print the pg_dump guidance.") { data, output };
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(data), parse.GetValue(output)!, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string? dataDir, string output, CancellationToken cancellationToken)
    {
        if (SqliteDatabase(dataDir) is not { } database)
        {
            return ExitCodes.BadInput;
        }

        try
        {
            var info = await WithProgressAsync("backup", progress => SqliteBackup.BackupAsync(database, output, progress, cancellationToken));
            await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"backup: {info.Path} ({Size(info.Bytes)}) of {database}; migration level {info.Level} ({info.Applied.Count} of {info.Known.Count}); integrity ok"));
            await Console.Out.WriteLineAsync("  keep the signing key with it (docs/runbooks/backup-restore.md); restore with: soma restore --data DIR --from FILE");
            return ExitCodes.Ok;
        }
        catch (SqliteBackupException ex)
        {
            return Refused(ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            await Console.Error.WriteLineAsync($"soma: the backup failed: {ex.Message}");
            return ExitCodes.Failed;
        }
    }

    /// <summary>
    /// The SQLite database this configuration uses, or null after saying why there is none (the store is PostgreSQL: the
    /// pg_dump guidance; an unknown provider).
    /// </summary>
    internal static string? SqliteDatabase(string? dataDir)
    {
        var configuration = SomaConfiguration.Build(new ServeSettings(DataDir: dataDir).ToOverrides());
        var provider = configuration[$"{StoreOptions.SectionName}:Provider"] ?? "sqlite";
        if (string.Equals(provider, "postgres", StringComparison.OrdinalIgnoreCase))
        {
            PrintPostgresGuidance(configuration["Soma:Store:Postgres:ConnectionString"]);
            return null;
        }

        if (!string.Equals(provider, "sqlite", StringComparison.OrdinalIgnoreCase))
        {
            Console.Error.WriteLine($"soma: Soma:Store:Provider '{provider}' is neither sqlite nor postgres.");
            return null;
        }

        return SomaConfiguration.ResolveSqlitePath(configuration);
    }

    /// <summary>Runs a copy with a progress bar on standard error (the result line goes to standard output).</summary>
    internal static async Task<T> WithProgressAsync<T>(string what, Func<IProgress<SqliteCopyProgress>, Task<T>> copy)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        T result = default!;
        await console.Progress().AutoClear(true).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask($"{what}: pages copied", maxValue: 1);
                result = await copy(new Progress(task));
                task.Value = task.MaxValue;
            });
        return result;
    }

    internal static int Refused(SqliteBackupException ex)
    {
        Console.Error.WriteLine($"soma: {ex.Message}");
        return ex.Problem == SqliteBackupProblem.InUse ? ExitCodes.Failed : ExitCodes.BadInput;
    }

    internal static string Size(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.0} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0.0} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB"),
    };

    private static void PrintPostgresGuidance(string? connectionString)
    {
        // The database's coordinates as a libpq URI, without the password (pg_dump reads it from ~/.pgpass or PGPASSWORD).
        var uri = "postgresql://USER@HOST:5432/DATABASE";
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            if (!string.IsNullOrEmpty(builder.Host))
            {
                var user = string.IsNullOrEmpty(builder.Username) ? "" : Uri.EscapeDataString(builder.Username) + "@";
                uri = string.Create(CultureInfo.InvariantCulture, $"postgresql://{user}{builder.Host}:{builder.Port}/{Uri.EscapeDataString(builder.Database ?? "postgres")}");
            }
        }
        catch (ArgumentException)
        {
            // Not parseable: the placeholder URI stays.
        }

        Console.Error.WriteLine("soma: the store is PostgreSQL; soma backup copies only the embedded SQLite store. Use PostgreSQL's own tools:");
        Console.Error.WriteLine($"  back up:  pg_dump --format=custom --file=soma.dump \"{uri}\"");
        Console.Error.WriteLine($"  restore:  pg_restore --clean --if-exists --no-owner --dbname=\"{uri}\" soma.dump   (servers stopped), then soma migrate");
        Console.Error.WriteLine("  (the password from ~/.pgpass or PGPASSWORD; base backups and WAL archiving for point-in-time recovery; docs/runbooks/backup-restore.md)");
    }

    private sealed class Progress(ProgressTask task) : IProgress<SqliteCopyProgress>
    {
        public void Report(SqliteCopyProgress value)
        {
            task.MaxValue = Math.Max(1, value.TotalPages);
            task.Value = Math.Min(task.MaxValue, value.Pages);
        }
    }
}
