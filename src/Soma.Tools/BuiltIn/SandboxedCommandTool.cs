using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Soma.Core.Sandbox;
using Soma.Tools.Http;
using Soma.Tools.Registry;
using Soma.Tools.Sandbox;
using Soma.Tools.Workspaces;

namespace Soma.Tools.BuiltIn;

/// <summary>
/// A tool that runs a program in the session's sandbox: the workspace as its working folder, stdout and stderr
/// streamed as they come, the exit code at the end. A time-out keeps the output so far (marked truncated), and so does
/// an output cap; a seccomp kill, a signal or a non-zero exit is a failure the model reads with the output. No network,
/// unless the policy's decision grants egress (<see cref="EgressGrant"/>): then the program reaches the granted hosts
/// through the sandbox's filtering proxy, and each request the proxy refused is listed after the output.
/// </summary>
public abstract class SandboxedCommandTool(ToolSandboxes sandboxes, ToolWorkspaces workspaces, IOptions<SandboxOptions> options) : ITool
{
    /// <inheritdoc />
    public abstract string Name { get; }

    /// <inheritdoc />
    public abstract string Description { get; }

    /// <inheritdoc />
    public abstract JsonElement ParametersSchema { get; }

    /// <inheritdoc />
    public string Risk => "high";

    /// <inheritdoc />
    public bool Sandboxed => true;

    /// <summary>The most seconds a call may ask for.</summary>
    protected int MaxTimeoutSeconds => options.Value.TimeoutSeconds;

    /// <summary>The program line and standard input for <paramref name="arguments"/>, or a failure naming the bad argument.</summary>
    protected abstract (IReadOnlyList<string>? Command, string? Input, ToolResult? Error) Build(JsonElement arguments);

    /// <inheritdoc />
    public async ValueTask<ToolResult> InvokeAsync(JsonElement arguments, ToolContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var (command, input, error) = Build(arguments);
        if (error is not null)
        {
            return error;
        }

        var seconds = Math.Min(MaxTimeoutSeconds, ToolSchemas.OptionalInt(arguments, "timeout_seconds", 1, 600, MaxTimeoutSeconds, out error));
        if (error is not null)
        {
            return error;
        }

        var sandbox = sandboxes.For(Name);
        var kind = sandbox.Name == "gvisor" ? Soma.Contracts.Events.Sandbox.Gvisor : Soma.Contracts.Events.Sandbox.Bubblewrap;
        var limits = options.Value.Limits() with { Timeout = TimeSpan.FromSeconds(seconds) };
        var workspace = workspaces.PathFor(context.TenantId, context.SessionId);
        var network = EgressGrant.From(context.Obligations).ToSandboxNetwork();
        if (network.Granted)
        {
            network = network with { Tenant = context.TenantId, Session = context.SessionId };
        }

        var result = await sandbox.RunAsync(new SandboxCommand(command!, workspace, limits) { StandardInput = input, Network = network }, chunk => context.Output.WriteAsync(chunk.Text, cancellationToken), cancellationToken).ConfigureAwait(false);
        sandboxes.Record(sandbox, result);
        if (result.Error is not null)
        {
            return ToolResult.Failed("sandbox.unavailable", result.Error) with { Sandbox = kind };
        }

        var text = new StringBuilder(result.Stdout);
        if (result.Stderr.Length > 0)
        {
            text.Append(text.Length > 0 && text[^1] != '\n' ? "\n" : string.Empty).Append("[stderr]\n").Append(result.Stderr);
        }

        foreach (var refusal in result.EgressRefusals)
        {
            text.Append(text.Length > 0 && text[^1] != '\n' ? "\n" : string.Empty).Append("[egress refused: ").Append(refusal).Append(']');
        }

        var code = ToolSandboxes.Outcome(result) switch
        {
            "timeout" => "tool.timeout",
            "seccomp" => "sandbox.seccomp_denied",
            "signal" => "sandbox.killed",
            _ when result.ExitCode is not 0 && !result.OutputTruncated => "tool.exit_status",
            _ => null,
        };
        var ending = code switch
        {
            "tool.timeout" => $"[stopped: over its {seconds} s limit]",
            "sandbox.seccomp_denied" => "[killed: a forbidden system call (seccomp)]",
            "sandbox.killed" => $"[killed by {result.Signal}]",
            _ when result.OutputTruncated => $"[output cut at {limits.MaxOutputBytes.ToString(CultureInfo.InvariantCulture)} bytes]",
            _ => $"[exit code {result.ExitCode?.ToString(CultureInfo.InvariantCulture)}]",
        };
        text.Append(text.Length > 0 && text[^1] != '\n' ? "\n" : string.Empty).Append(ending);
        var output = text.ToString();
        return (code is null ? new ToolResult(output) : ToolResult.Failed(code, output)) with { Truncated = result.OutputTruncated, Sandbox = kind, EgressRefusals = result.EgressRefusals };
    }
}

/// <summary><c>shell.run</c>: a shell command in the session's sandbox.</summary>
public sealed class ShellRunTool(ToolSandboxes sandboxes, ToolWorkspaces workspaces, IOptions<SandboxOptions> options) : SandboxedCommandTool(sandboxes, workspaces, options)
{
    private static readonly JsonElement Schema = ToolSchemas.Parse("""
        {"type":"object","properties":{
          "command":{"type":"string","minLength":1,"maxLength":10000,"description":"A POSIX shell command line; it runs in /workspace, the session's files."},
          "stdin":{"type":"string","maxLength":100000,"description":"Text given to the command's standard input."},
          "timeout_seconds":{"type":"integer","minimum":1,"maximum":600,"description":"Stop the command after this many seconds (capped by the server's limit)."}},
         "required":["command"],"additionalProperties":false}
        """);

    /// <inheritdoc />
    public override string Name => "shell.run";

    /// <inheritdoc />
    public override string Description => "Runs a shell command in a sandbox (no network unless the policy grants hosts, reached through a filtering HTTP proxy; only the session's workspace is writable) and returns its output and exit code.";

    /// <inheritdoc />
    public override JsonElement ParametersSchema => Schema;

    /// <inheritdoc />
    protected override (IReadOnlyList<string>? Command, string? Input, ToolResult? Error) Build(JsonElement arguments)
    {
        var command = ToolSchemas.RequiredText(arguments, "command", 10_000, out var error);
        var stdin = error is null ? ToolSchemas.OptionalString(arguments, "stdin", out error) : null;
        return error is not null ? (null, null, error) : (["/bin/sh", "-c", command], stdin, null);
    }
}

/// <summary><c>code.python</c>: a Python 3 program in the session's sandbox.</summary>
public sealed class CodePythonTool(ToolSandboxes sandboxes, ToolWorkspaces workspaces, IOptions<SandboxOptions> options) : SandboxedCommandTool(sandboxes, workspaces, options)
{
    private static readonly JsonElement Schema = ToolSchemas.Parse("""
        {"type":"object","properties":{
          "code":{"type":"string","minLength":1,"maxLength":100000,"description":"The Python 3 program; it runs in /workspace, the session's files, and prints its results."},
          "timeout_seconds":{"type":"integer","minimum":1,"maximum":600,"description":"Stop the program after this many seconds (capped by the server's limit)."}},
         "required":["code"],"additionalProperties":false}
        """);

    /// <inheritdoc />
    public override string Name => "code.python";

    /// <inheritdoc />
    public override string Description => "Runs a Python 3 program in a sandbox (no network unless the policy grants hosts, reached through a filtering HTTP proxy; only the session's workspace is writable) and returns what it prints.";

    /// <inheritdoc />
    public override JsonElement ParametersSchema => Schema;

    /// <inheritdoc />
    protected override (IReadOnlyList<string>? Command, string? Input, ToolResult? Error) Build(JsonElement arguments)
    {
        var code = ToolSchemas.RequiredText(arguments, "code", 100_000, out var error);
        return error is not null ? (null, null, error) : (["/usr/bin/python3", "-I", "-u", "-c", code], null, null);
    }
}
