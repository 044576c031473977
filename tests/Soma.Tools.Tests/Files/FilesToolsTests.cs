using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Soma.Tools.Invocation;
using Soma.Tools.Workspaces;

namespace Soma.Tools.Tests.Files;

/// <summary>
/// files.read / files.write / files.list through the real invoker and the embedded policy over the shipped roles.yaml
/// (which grants files.* to every user), on a real data directory: the store's soma.db beside workspaces/. The escape
/// corpus is a real attempt each time (this suite runs as root on CI: a write that got out would land in /etc), run
/// with openat2 and with the O_NOFOLLOW walk used on kernels without it.
/// </summary>
public sealed class FilesToolsTests : IAsyncLifetime
{
    private const string Tenant = "t-files";
    private readonly CapturedLogs _logs = new();
    private SqliteToolHost _host = null!;
    private Guid _session;
    private string _workspace = null!;

    public async ValueTask InitializeAsync()
    {
        _host = await SqliteToolHost.StartAsync(
            SqliteToolHost.ShippedRoles,
            services => services.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(_logs),
            new Dictionary<string, string?>
            {
                ["Soma:Tools:Workspaces:MaxReadBytes"] = "1000",
                ["Soma:Tools:Workspaces:MaxWriteBytes"] = "4096",
                ["Soma:Tools:Workspaces:MaxListEntries"] = "5",
            });
        _session = Guid.CreateVersion7();
        _workspace = _host.Services.GetRequiredService<ToolWorkspaces>().PathFor(Tenant, _session);
    }

    public async ValueTask DisposeAsync()
    {
        LinuxFilesStrategy(walk: false);
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task A_file_written_is_read_back_and_listed_inside_the_sessions_own_workspace()
    {
        var wrote = await CallAsync("files.write", new { path = "notes/todo.md", content = "buy milk\n" });
        Assert.True(wrote.Ran);
        Assert.Null(wrote.Result.ErrorCode);
        Assert.Equal("Wrote 9 bytes to notes/todo.md.", wrote.Result.Output);

        var appended = await CallAsync("files.write", new { path = "notes/todo.md", content = "walk dog\n", append = true });
        Assert.Equal("Appended 9 bytes to notes/todo.md (now 18 bytes).", appended.Result.Output);

        var read = await CallAsync("files.read", new { path = "notes/todo.md" });
        Assert.Equal("buy milk\nwalk dog\n", read.Result.Output);

        var list = await CallAsync("files.list", new { recursive = true });
        Assert.Equal(".: 2 entries\nnotes/\nnotes/todo.md (18 bytes)", list.Result.Output);

        // On the host: {data}/workspaces/{tenant}/{session}, folders 0700, files 0600.
        Assert.Equal(Path.Combine(_host.DataDirectory, "workspaces", Tenant, _session.ToString()), _workspace);
        Assert.Equal("buy milk\nwalk dog\n", await File.ReadAllTextAsync(Path.Combine(_workspace, "notes", "todo.md")));
        const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(_workspace));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(Path.Combine(_host.DataDirectory, "workspaces", Tenant)));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(Path.Combine(_workspace, "notes")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_workspace, "notes", "todo.md")));
    }

    [Fact]
    public async Task Another_session_of_the_same_tenant_sees_none_of_it()
    {
        await CallAsync("files.write", new { path = "secret.txt", content = "mine" });
        var other = Guid.CreateVersion7();

        var read = await CallAsync("files.read", new { path = "secret.txt" }, other);
        Assert.Equal("files.not_found", read.Result.ErrorCode);
        Assert.Equal(".: 0 entries (empty)", (await CallAsync("files.list", new { }, other)).Result.Output);

        var escape = await CallAsync("files.read", new { path = $"../{_session}/secret.txt" }, other);
        Assert.Equal("tool.path_refused", escape.Result.ErrorCode);
    }

    [Fact]
    public async Task A_symlink_that_stays_inside_the_workspace_is_followed()
    {
        Directory.CreateDirectory(Path.Combine(_workspace, "docs"));
        await File.WriteAllTextAsync(Path.Combine(_workspace, "docs", "a.txt"), "inside");
        File.CreateSymbolicLink(Path.Combine(_workspace, "alias.txt"), "docs/a.txt");

        var read = await CallAsync("files.read", new { path = "alias.txt" });
        Assert.Equal("inside", read.Result.Output);
    }

    [Fact]
    public async Task Reads_are_capped_and_say_where_to_read_on()
    {
        var text = string.Concat(Enumerable.Range(0, 300).Select(i => $"{i % 10}abc"));
        await File.WriteAllTextAsync(Path.Combine(_workspace, "long.txt"), text);

        var first = await CallAsync("files.read", new { path = "long.txt" });
        Assert.True(first.Result.Truncated);
        Assert.Equal(text[..1000] + "\n[truncated: bytes 0–999 of 1200 shown; read on with offset 1000]", first.Result.Output);

        var rest = await CallAsync("files.read", new { path = "long.txt", offset = 1000 });
        Assert.False(rest.Result.Truncated);
        Assert.Equal(text[1000..], rest.Result.Output);

        var piece = await CallAsync("files.read", new { path = "long.txt", offset = 4, max_bytes = 8 });
        Assert.Equal("1abc2abc\n[truncated: bytes 4–11 of 1200 shown; read on with offset 12]", piece.Result.Output);

        var tooMuch = await CallAsync("files.read", new { path = "long.txt", max_bytes = 5000 });
        Assert.Equal("tool.invalid_arguments", tooMuch.Result.ErrorCode);
        Assert.Equal("Argument 'max_bytes' must be an integer from 1 to 1000.", tooMuch.Result.Output);
    }

    [Fact]
    public async Task A_cut_never_splits_a_character_and_binary_files_are_not_returned_as_text()
    {
        await File.WriteAllTextAsync(Path.Combine(_workspace, "accents.txt"), new string('a', 999) + "é and more");
        var read = await CallAsync("files.read", new { path = "accents.txt" });
        Assert.StartsWith(new string('a', 999) + "\n[truncated", read.Result.Output, StringComparison.Ordinal);

        await File.WriteAllBytesAsync(Path.Combine(_workspace, "blob.bin"), [0x7f, 0x45, 0x4c, 0x46, 0, 0, 1]);
        var blob = await CallAsync("files.read", new { path = "blob.bin" });
        Assert.Equal("files.binary", blob.Result.ErrorCode);
        Assert.Equal("Path 'blob.bin' is a binary file (7 bytes); files.read returns text only.", blob.Result.Output);
    }

    [Fact]
    public async Task Writes_over_the_cap_are_refused_and_write_nothing()
    {
        var result = await CallAsync("files.write", new { path = "big.txt", content = new string('x', 5000) });
        Assert.Equal("files.too_large", result.Result.ErrorCode);
        Assert.Equal("The content is 5000 bytes; files.write writes at most 4096 bytes a call (append the rest in further calls).", result.Result.Output);
        Assert.False(File.Exists(Path.Combine(_workspace, "big.txt")));
    }

    [Fact]
    public async Task Listings_are_capped_and_count_what_they_leave_out()
    {
        for (var i = 0; i < 8; i++)
        {
            await File.WriteAllTextAsync(Path.Combine(_workspace, $"f{i}.txt"), new string('x', i));
        }

        var list = await CallAsync("files.list", new { path = "." });
        Assert.True(list.Result.Truncated);
        Assert.Equal(".: 5 entries, 3 more not shown (at most 5)\nf0.txt (0 bytes)\nf1.txt (1 bytes)\nf2.txt (2 bytes)\nf3.txt (3 bytes)\nf4.txt (4 bytes)", list.Result.Output);

        var recursive = await CallAsync("files.list", new { recursive = true });
        Assert.StartsWith(".: 5 entries, at least 3 more not shown (at most 5)\n", recursive.Result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_fifo_or_a_folder_is_not_read_as_a_file_and_nothing_hangs()
    {
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", Path.Combine(_workspace, "pipe")))
        {
            await mkfifo.WaitForExitAsync();
        }

        Directory.CreateDirectory(Path.Combine(_workspace, "dir"));
        Assert.Equal("files.not_a_file", (await CallAsync("files.read", new { path = "pipe" })).Result.ErrorCode);
        Assert.Equal("files.not_a_file", (await CallAsync("files.write", new { path = "pipe", content = "x" })).Result.ErrorCode);
        Assert.Equal("files.not_a_file", (await CallAsync("files.read", new { path = "dir" })).Result.ErrorCode);
        Assert.Equal("files.not_a_folder", (await CallAsync("files.list", new { path = "pipe" })).Result.ErrorCode);
    }

    public static TheoryData<string, bool> ReadCorpus()
    {
        var data = new TheoryData<string, bool>();
        foreach (var walk in new[] { false, true })
        {
            foreach (var name in new[] { "dotdot", "dotdot-after-a-folder", "absolute-shadow", "symlink-to-etc", "symlink-in-an-intermediate-folder", "relative-symlink-up-to-the-database", "symlink-to-the-database", "nul", "very-long-path", "very-long-name", "tilde" })
            {
                data.Add(name, walk);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ReadCorpus))]
    public async Task The_escape_corpus_is_refused_by_files_read_naming_the_path(string attempt, bool walk)
    {
        LinuxFilesStrategy(walk);
        var path = Prepare(attempt);

        var result = await CallAsync("files.read", new { path });
        if (attempt == "very-long-path")
        {
            // Longer than the schema's maxLength: refused before the policy, and the tool never runs.
            AssertRefusedBySchema(result);
            return;
        }

        Assert.True(result.Ran);
        Assert.Equal("tool.path_refused", result.Result.ErrorCode);
        Assert.StartsWith($"Path '{Printable(path)}' is refused: ", result.Result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("root:", result.Result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("SQLite", result.Result.Output, StringComparison.Ordinal);
        Assert.Contains(_logs.WithId(4220), line => line.Contains("files.read refused path", StringComparison.Ordinal) && line.Contains(Tenant, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(ReadCorpus))]
    public async Task The_escape_corpus_is_refused_by_files_list(string attempt, bool walk)
    {
        LinuxFilesStrategy(walk);
        // The folder that holds the target: a listing that got out would show /etc's shadow or the data directory's soma.db.
        var target = Prepare(attempt);
        var path = target.Contains('/', StringComparison.Ordinal) && attempt is not "very-long-name" ? target[..target.LastIndexOf('/')] : target;

        var result = await CallAsync("files.list", new { path });
        if (attempt == "very-long-path")
        {
            AssertRefusedBySchema(result);
            return;
        }

        Assert.Equal("tool.path_refused", result.Result.ErrorCode);
        Assert.DoesNotContain("shadow", result.Result.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("soma.db", result.Result.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../outside.txt", false)]
    [InlineData("../outside.txt", true)]
    [InlineData("etc/{probe}", false)]
    [InlineData("etc/{probe}", true)]
    [InlineData("sub/up/{probe}/deeper.txt", false)]
    [InlineData("sub/up/{probe}/deeper.txt", true)]
    [InlineData("/etc/{probe}", false)]
    [InlineData("/etc/{probe}", true)]
    public async Task Writes_that_would_leave_the_workspace_are_refused_and_nothing_lands_outside(string template, bool walk)
    {
        LinuxFilesStrategy(walk);
        Prepare("symlink-to-etc");
        Prepare("symlink-in-an-intermediate-folder");
        var probe = $"soma-escape-{Guid.NewGuid():N}";
        var path = template.Replace("{probe}", probe, StringComparison.Ordinal);
        try
        {
            var result = await CallAsync("files.write", new { path, content = "escaped" });
            Assert.Equal("tool.path_refused", result.Result.ErrorCode);
            Assert.StartsWith($"Path '{path}' is refused: ", result.Result.Output, StringComparison.Ordinal);
            Assert.False(Path.Exists(Path.Combine("/etc", probe)));
            Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(_workspace)!, "outside.txt")));
        }
        finally
        {
            // Only reached for cleaning when the assertion above already failed.
            if (Path.Exists(Path.Combine("/etc", probe)))
            {
                Directory.Delete(Path.Combine("/etc", probe), recursive: true);
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Writing_through_a_symlink_to_the_database_leaves_it_untouched(bool walk)
    {
        LinuxFilesStrategy(walk);
        Prepare("symlink-to-the-database");
        var database = Path.Combine(_host.DataDirectory, "soma.db");
        var before = new FileInfo(database).Length;

        var result = await CallAsync("files.write", new { path = "db", content = "overwritten" });
        Assert.Equal("tool.path_refused", result.Result.ErrorCode);
        // Still a database of at least its size before: the store's own log checkpoints may move pages into the file while
        // the test runs, so its bytes are not compared, but a write through the link would have replaced them with 11 bytes.
        var after = await File.ReadAllBytesAsync(database);
        Assert.True(after.AsSpan().StartsWith("SQLite format 3\0"u8), "the database's header was overwritten");
        Assert.True(after.Length >= before, $"the database shrank from {before} to {after.Length} bytes");
        Assert.Equal(-1, after.AsSpan().IndexOf("overwritten"u8));
    }

    [Fact]
    public async Task A_recursive_listing_shows_a_symlink_out_but_never_descends_into_it()
    {
        Prepare("symlink-to-etc");
        var list = await CallAsync("files.list", new { recursive = true });
        Assert.Equal(".: 2 entries\netc (symbolic link)\nsub/", list.Result.Output);
    }

    [Fact]
    public async Task A_folder_swapped_for_a_symlink_to_etc_while_reading_never_yields_etc()
    {
        // A sandboxed process shares the workspace and may race the tool: flip "flip" between a real folder and a
        // symlink to /etc while files.read reads flip/passwd. The open is relative to the workspace handle and refuses
        // a resolution that leaves it, so every answer is the decoy, a refusal or "not found", never /etc/passwd.
        Directory.CreateDirectory(Path.Combine(_workspace, "decoy"));
        await File.WriteAllTextAsync(Path.Combine(_workspace, "decoy", "passwd"), "decoy");
        var flip = Path.Combine(_workspace, "flip");
        using var stop = new CancellationTokenSource();
        var flipper = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    Directory.Move(Path.Combine(_workspace, "decoy"), flip);
                    Directory.Move(flip, Path.Combine(_workspace, "decoy"));
                    File.CreateSymbolicLink(flip, "/etc");
                    File.Delete(flip);
                }
                catch (IOException)
                {
                }
            }
        });

        var outcomes = new HashSet<string>();
        for (var i = 0; i < 300; i++)
        {
            var result = await CallAsync("files.read", new { path = "flip/passwd" });
            Assert.DoesNotContain("root:", result.Result.Output, StringComparison.Ordinal);
            outcomes.Add(result.Result.ErrorCode ?? result.Result.Output);
        }

        await stop.CancelAsync();
        await flipper;
        Assert.Subset(new HashSet<string> { "decoy", "tool.path_refused", "files.not_found" }, outcomes);
    }

    [Fact]
    public async Task A_cap_above_what_the_model_is_handed_stops_the_start_naming_the_key()
    {
        await using var host = await SqliteToolHost.StartAsync(extraSettings: new Dictionary<string, string?> { ["Soma:Tools:Workspaces:MaxReadBytes"] = "20000" });
        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ToolWorkspaceOptions>>().Value);
        Assert.Contains("Soma:Tools:Workspaces:MaxReadBytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_workspace_path_is_refused_for_a_tenant_id_that_is_not_one()
    {
        var workspaces = _host.Services.GetRequiredService<ToolWorkspaces>();
        Assert.Throws<ArgumentException>(() => workspaces.PathFor("../etc", _session));
        Assert.Throws<ArgumentException>(() => workspaces.PathFor(Tenant, Guid.Empty));
        Assert.Equal(_workspace, workspaces.PathFor(Tenant, _session));
    }

    private string Prepare(string attempt)
    {
        var sub = Path.Combine(_workspace, "sub");
        Directory.CreateDirectory(sub);
        switch (attempt)
        {
            case "dotdot":
                return "../../etc/passwd";
            case "dotdot-after-a-folder":
                return "sub/../../../../../../../../etc/passwd";
            case "absolute-shadow":
                return "/etc/shadow";
            case "symlink-to-etc":
                CreateLink(Path.Combine(_workspace, "etc"), "/etc");
                return "etc/passwd";
            case "symlink-in-an-intermediate-folder":
                CreateLink(Path.Combine(sub, "up"), "/etc");
                return "sub/up/passwd";
            case "relative-symlink-up-to-the-database":
                // {data}/workspaces/{tenant}/{session}/sub/back -> {data}
                CreateLink(Path.Combine(sub, "back"), "../../../..");
                return "sub/back/soma.db";
            case "symlink-to-the-database":
                CreateLink(Path.Combine(_workspace, "db"), Path.Combine(_host.DataDirectory, "soma.db"));
                return "db";
            case "nul":
                return "notes\0/../../../etc/passwd";
            case "very-long-path":
                return string.Concat(Enumerable.Repeat("a/", 3000)) + "passwd";
            case "very-long-name":
                return new string('n', 300);
            case "tilde":
                return "~/.ssh/id_rsa";
            default:
                throw new ArgumentOutOfRangeException(nameof(attempt), attempt, null);
        }
    }

    private static void CreateLink(string path, string target)
    {
        if (!Path.Exists(path) && new FileInfo(path).LinkTarget is null)
        {
            File.CreateSymbolicLink(path, target);
        }
    }

    private static string Printable(string path)
    {
        var text = new StringBuilder();
        foreach (var c in path.Take(200))
        {
            text.Append(char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString());
        }

        return path.Length > 200 ? text.Append('…').ToString() : text.ToString();
    }

    private static void AssertRefusedBySchema(ToolInvocation result)
    {
        Assert.False(result.Ran);
        Assert.Equal("tool.invalid_arguments", result.Result.ErrorCode);
        Assert.StartsWith("Invalid arguments: /path: ", result.Result.Output, StringComparison.Ordinal);
    }

    private static void LinuxFilesStrategy(bool walk) => LinuxFiles.ForceComponentWalk = walk;

    private Task<ToolInvocation> CallAsync(string tool, object arguments, Guid? session = null) =>
        _host.Invoker.InvokeAsync(new ToolCallRequest(
            new ToolCaller(Tenant, "alice", []), $"call_{Guid.NewGuid():N}", tool, JsonSerializer.Serialize(arguments),
            ToolCalls.Context(Tenant, session ?? _session), "tools", TimeSpan.FromSeconds(30)));
}
