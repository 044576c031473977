using System.CommandLine;
using System.Globalization;
using Soma.Storage.Sqlite;

namespace Soma.Server.Cli;

/// <summary>
/// <c>soma restore</c>: replaces the embedded SQLite store with a backup, with every server on it stopped. The backup is
/// checked first (a SQLite file, a SomaAgent database, at a migration level this version knows, intact); the database
/// is refused while a process holds it; the replaced file is kept as <c>soma.db.pre-restore</c>.
/// Exit 0 done, 1 a server uses the database or the copy failed, 2 bad input (backup missing, not a SomaAgent database,
/// from a newer version, damaged, a <c>.pre-restore</c> in the way, PostgreSQL store).
/// </summary>
internal static class RestoreCommand
{
    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "Data directory (default ./.soma; key Soma:DataDir).", HelpName = "dir" };
        var from = new Option<string>("--from") { Description = "The backup file (written by soma backup).", Required = true, HelpName = "file" };
        var command = new Command("restore", "Replace the embedded SQLite store with a backup (servers stopped); the old file is kept as .pre-restore.") { data, from };
        command.SetAction((parse, cancellationToken) => RunAsync(parse.GetValue(data), parse.GetValue(from)!, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string? dataDir, string from, CancellationToken cancellationToken)
    {
        if (BackupCommand.SqliteDatabase(dataDir) is not { } database)
        {
            return ExitCodes.BadInput;
        }

        try
        {
            if (!OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(Path.GetDirectoryName(database)!, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            var result = await BackupCommand.WithProgressAsync("restore", progress => SqliteBackup.RestoreAsync(from, database, progress, cancellationToken));
            var backup = result.Backup;
            await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"restored: {result.Database} from {backup.Path} ({BackupCommand.Size(backup.Bytes)}); migration level {backup.Level} ({backup.Applied.Count} of {backup.Known.Count})"));
            if (backup.Pending.Count > 0)
            {
                await Console.Out.WriteLineAsync($"  {backup.Pending.Count} migration(s) of this version are applied when the server starts (or by soma migrate)");
            }

            await Console.Out.WriteLineAsync(result.PreRestore is { } kept
                ? $"  the replaced database is kept at {kept}"
                : "  there was no database to replace");
            return ExitCodes.Ok;
        }
        catch (SqliteBackupException ex)
        {
            return BackupCommand.Refused(ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            await Console.Error.WriteLineAsync($"soma: the restore failed: {ex.Message}");
            return ExitCodes.Failed;
        }
    }
}
