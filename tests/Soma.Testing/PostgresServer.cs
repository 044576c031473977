using System.Diagnostics;
using System.Runtime.InteropServices;
using Npgsql;

namespace Soma.Testing;

/// <summary>
/// A real PostgreSQL server started from this machine's binaries: <c>initdb</c> into a temp directory, a free
/// loopback port, fsync on, stopped and deleted on dispose. When the tests run as root (CI), the server runs as the
/// <c>postgres</c> user that Debian's package creates, because PostgreSQL refuses to run as root.
/// Missing binaries fail the test: the engine is never skipped.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private const string User = "soma";
    private static readonly string[] Tools = ["initdb", "pg_ctl", "postgres"];
    private readonly TempDirectory _directory;
    private readonly string _binDir;
    private readonly bool _asPostgresUser;
    private int _databases;

    private PostgresServer(TempDirectory directory, string binDir, bool asPostgresUser, int port)
    {
        _directory = directory;
        _binDir = binDir;
        _asPostgresUser = asPostgresUser;
        Port = port;
    }

    public int Port { get; }

    public string DataDirectory => Path.Combine(_directory.Path, "data");

    public string AdminConnectionString => ConnectionString("postgres");

    public static async Task<PostgresServer> StartAsync(CancellationToken cancellationToken = default)
    {
        // A start can lose its port to another process between choosing it and the server binding it (many suites start
        // engines at once): try again on a new port, and name every attempt's error if all fail.
        var failures = new List<Exception>();
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            try
            {
                return await StartOnceAsync(cancellationToken);
            }
            catch (InvalidOperationException ex) when (!cancellationToken.IsCancellationRequested)
            {
                failures.Add(ex);
            }
        }

        throw new AggregateException("PostgreSQL did not start after 3 attempts.", failures);
    }

    private static async Task<PostgresServer> StartOnceAsync(CancellationToken cancellationToken)
    {
        var binDir = FindBinaries();
        var asPostgresUser = IsRoot();
        var directory = new TempDirectory("soma-pg");
        var server = new PostgresServer(directory, binDir, asPostgresUser, FreePort.Next());
        try
        {
            if (asPostgresUser && !OperatingSystem.IsWindows())
            {
                // The server user must reach and own its directory.
                File.SetUnixFileMode(directory.Path, (UnixFileMode)0b111_101_101);
                await RunAsync("chown", ["-R", "postgres:postgres", directory.Path], asPostgresUser: false, cancellationToken);
            }

            // The locale is named, not inherited: without LANG (as under CI) initdb would pick "C", where lower() leaves
            // non-ASCII letters alone and case-insensitive search beyond ASCII breaks. C.UTF-8 ships with every Debian.
            await server.RunToolAsync("initdb", ["-D", server.DataDirectory, "-U", User, "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions"], cancellationToken);
            await server.StartAgainAsync(cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops the server (a fast shutdown, as an operator or a failover would), keeping its data.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default) =>
        await RunToolAsync("pg_ctl", ["-D", DataDirectory, "-m", "fast", "-w", "-t", "60", "stop"], cancellationToken);

    /// <summary>Starts the server (again) on its port and data, and waits until it accepts connections.</summary>
    public async Task StartAgainAsync(CancellationToken cancellationToken = default)
    {
        await RunToolAsync("pg_ctl", [
            "-D", DataDirectory, "-l", LogFile, "-w", "-t", "60",
            "-o", $"-c listen_addresses=127.0.0.1 -p {Port} -c unix_socket_directories={_directory.Path} -c fsync=on -c max_connections=200 -c shared_buffers=32MB",
            "start"], cancellationToken);
        await WaitUntilReadyAsync(cancellationToken);
    }

    /// <summary>The database's libpq connection URI (for psql, pg_dump, pg_restore, pg_isready).</summary>
    public string Uri(string database) => $"postgresql://{User}@127.0.0.1:{Port}/{database}";

    public string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = Port,
            Username = User,
            Database = database,
            Pooling = true,
            Timeout = 30,
        }.ToString();

    /// <summary>Creates an empty database with a unique name and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(CancellationToken cancellationToken = default)
    {
        var name = $"soma_test_{Interlocked.Increment(ref _databases)}_{Guid.NewGuid():N}"[..40];
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
        return ConnectionString(name);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            try
            {
                // Immediate, not fast: the cluster is deleted next, and a fast stop's shutdown checkpoint would write and
                // fsync every page of every test database first (measured: ~9 s for ten databases with fsync on).
                await RunToolAsync("pg_ctl", ["-D", DataDirectory, "-m", "immediate", "-w", "-t", "60", "stop"], CancellationToken.None);
            }
            catch (InvalidOperationException)
            {
                // Already stopped.
            }
        }

        _directory.Dispose();
    }

    private string LogFile => Path.Combine(_directory.Path, "server.log");

    private async Task WaitUntilReadyAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                await using var connection = new NpgsqlConnection(AdminConnectionString + ";Pooling=false");
                await connection.OpenAsync(cancellationToken);
                return;
            }
            catch (NpgsqlException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, cancellationToken);
            }
            catch (NpgsqlException ex)
            {
                throw new InvalidOperationException($"PostgreSQL did not accept connections on port {Port}:\n{ReadLog()}", ex);
            }
        }
    }

    private string ReadLog() => File.Exists(LogFile) ? File.ReadAllText(LogFile) : "(no server log)";

    private Task RunToolAsync(string tool, string[] arguments, CancellationToken cancellationToken) =>
        RunAsync(Path.Combine(_binDir, tool), arguments, _asPostgresUser, cancellationToken, ReadLog);

    private static async Task RunAsync(string program, string[] arguments, bool asPostgresUser, CancellationToken cancellationToken, Func<string>? log = null)
    {
        var start = new ProcessStartInfo(asPostgresUser ? "runuser" : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // The server's messages and locale checks read these: a LANG naming a locale the machine lacks would stop initdb.
        start.Environment["LC_ALL"] = "C.UTF-8";
        start.Environment["LANG"] = "C.UTF-8";
        if (asPostgresUser)
        {
            foreach (var argument in (string[])["-u", "postgres", "--", program])
            {
                start.ArgumentList.Add(argument);
            }
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{Path.GetFileName(program)} exited with {process.ExitCode}:\n{await stdout}\n{await stderr}\n{log?.Invoke()}");
        }
    }

    private static string FindBinaries()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("PATH") is { } path)
        {
            candidates.AddRange(path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        }

        if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
                .Select(d => Path.Combine(d, "bin")));
        }

        // Debian's /usr/bin/pg_ctl is a wrapper without initdb beside it; a real bin directory has all three.
        return candidates.FirstOrDefault(d => Tools.All(tool => File.Exists(Path.Combine(d, tool))))
            ?? throw new InvalidOperationException(
                "PostgreSQL binaries not found: install the Debian package 'postgresql' (./test.sh does this).");
    }

    private static bool IsRoot() => !OperatingSystem.IsWindows() && geteuid() == 0;

    [DllImport("libc", SetLastError = false)]
    private static extern uint geteuid();
}
