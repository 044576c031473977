using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using Soma.Core.Runs;
using Soma.Core.Storage;
using Soma.Gateway.Auth;
using Soma.Gateway.Problems;
using Soma.Gateway.Sessions;
using Soma.Orchestration.Checkpoints;
using Soma.Orchestration.Runs;

namespace Soma.Gateway.Runs;

/// <summary>The runs API: start, inspect, resume and cancel workflow runs, and follow their events. Tenant-scoped.</summary>
internal static class RunEndpoints
{
    private const int MaxIdempotencyKeyLength = 200;
    private static readonly TimeSpan TailInterval = TimeSpan.FromMilliseconds(250);

    public static void Map(IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/runs").WithTags("runs");
        group.MapPost("/", StartAsync).WithSummary("Start a run of a registered workflow (202; an Idempotency-Key header makes it safe to retry).")
            .Accepts<StartRunRequest>("application/json").ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/", ListAsync).WithSummary("List the tenant's runs, newest first; filter by state and workflow.").ProducesProblem(StatusCodes.Status400BadRequest);
        group.MapGet("/{id:guid}", GetAsync).WithSummary("Get a run: state, versions, current steps, output or error.");
        group.MapGet("/{id:guid}/steps", StepsAsync).WithSummary("The run's steps as of its latest checkpoint.");
        group.MapGet("/{id:guid}/checkpoints/{version:long}", CheckpointAsync).WithSummary("One stored checkpoint of the run.");
        group.MapPost("/{id:guid}/resume", ResumeAsync).WithSummary("Resume a waiting run with its input, or a failed run from its last checkpoint.")
            .Accepts<ResumeRunRequest>("application/json").ProducesProblem(StatusCodes.Status409Conflict);
        group.MapPost("/{id:guid}/cancel", CancelAsync).WithSummary("Cancel a run that has not ended.").ProducesProblem(StatusCodes.Status409Conflict);
        group.MapGet("/{id}/timeline", TimelineAsync)
            .WithSummary("The run's steps on a time axis: each attempt with its start, end, outcome and error, retry backoffs and waits for input, and the run's trace id (with a link when Soma:Telemetry:TraceUrlTemplate is set).")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        group.MapGet("/{id:guid}/events", Events).WithSummary("The run's events as server-sent events; Last-Event-ID replays what was missed.");
    }

    private static async Task<Results<Accepted<RunAcceptedResponse>, Ok<RunAcceptedResponse>, ProblemHttpResult>> StartAsync(
        HttpContext httpContext, ClaimsPrincipal user, RunService runs)
    {
        var (request, problem) = await JsonBody.ReadAsync(httpContext, GatewayJsonContext.Default.StartRunRequest);
        if (problem is not null)
        {
            return problem;
        }

        if (string.IsNullOrWhiteSpace(request!.Workflow))
        {
            return Problem.InvalidField("/workflow", "Field '/workflow' must name a registered workflow.");
        }

        var key = httpContext.Request.Headers["Idempotency-Key"].ToString();
        if (key.Length > MaxIdempotencyKeyLength)
        {
            return Problem.Create(StatusCodes.Status400BadRequest, ProblemTypes.InvalidParameter, "Invalid header",
                $"The Idempotency-Key header must be at most {MaxIdempotencyKeyLength} characters.", new Dictionary<string, object?> { ["parameter"] = "Idempotency-Key" });
        }

        var input = request.Input ?? JsonElement.Parse("{}");
        var traceParent = System.Diagnostics.Activity.Current?.Id;
        var result = await runs.StartAsync(user.GetTenantId(), request.Workflow, request.Version, input, key.Length == 0 ? null : key, traceParent, httpContext.RequestAborted);
        return result switch
        {
            RunStartResult.Accepted { Existing: true } accepted => TypedResults.Ok(new RunAcceptedResponse(accepted.Run.Id, Name(accepted.Run.State), true)),
            RunStartResult.Accepted accepted => TypedResults.Accepted($"/v1/runs/{accepted.Run.Id}", new RunAcceptedResponse(accepted.Run.Id, Name(accepted.Run.State))),
            RunStartResult.WorkflowNotFound notFound => Problem.Create(StatusCodes.Status404NotFound, ProblemTypes.NotFound, "Not found", notFound.Message),
            RunStartResult.InvalidInput invalid => Problem.Create(StatusCodes.Status400BadRequest, ProblemTypes.InvalidField, "Invalid field",
                $"The input does not match the workflow's input schema: {string.Join("; ", invalid.Errors.Select(e => $"{InputPointer(e.Pointer)}: {e.Message}"))}",
                new Dictionary<string, object?>
                {
                    ["pointer"] = InputPointer(invalid.Errors[0].Pointer),
                    ["errors"] = invalid.Errors.Select(e => new Dictionary<string, string> { ["pointer"] = InputPointer(e.Pointer), ["message"] = e.Message }).ToList(),
                }),
            _ => throw new InvalidOperationException("Unknown start result."),
        };
    }

    private static async Task<Results<Ok<PageResponse<RunResponse>>, ProblemHttpResult>> ListAsync(
        ClaimsPrincipal user, IRunStore runs, string? state, string? workflow, int? limit, string? cursor, CancellationToken cancellationToken)
    {
        if (Paging.Validate(limit, cursor, out var page) is { } pagingProblem)
        {
            return pagingProblem;
        }

        RunState? filter = null;
        if (state is not null)
        {
            if (!Enum.TryParse<RunState>(state, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || int.TryParse(state, out _))
            {
                return Problem.InvalidParameter("state", $"'state' must be one of {string.Join(", ", Enum.GetNames<RunState>().Select(n => n.ToLowerInvariant()))}.");
            }

            filter = parsed;
        }

        var result = await runs.ListAsync(user.GetTenantId(), new RunQuery(filter, workflow), page, cancellationToken);
        return TypedResults.Ok(new PageResponse<RunResponse>([.. result.Items.Select(r => ToResponse(r, null))], result.NextCursor));
    }

    private static async Task<Results<Ok<RunResponse>, ProblemHttpResult>> GetAsync(
        Guid id, ClaimsPrincipal user, IRunStore runs, ICheckpointStore checkpoints, CancellationToken cancellationToken)
    {
        var tenant = user.GetTenantId();
        var run = await runs.GetAsync(tenant, id, cancellationToken);
        if (run is null)
        {
            return Problem.NotFound($"Run {id}");
        }

        var state = await LatestStateAsync(checkpoints, tenant, id, cancellationToken);
        var current = state?.Steps.Where(s => s.Value.Status is StepStatus.Retrying or StepStatus.Waiting).Select(s => s.Key).ToList();
        return TypedResults.Ok(ToResponse(run, current));
    }

    private static async Task<Results<Ok<IReadOnlyList<StepResponse>>, ProblemHttpResult>> StepsAsync(
        Guid id, ClaimsPrincipal user, IRunStore runs, ICheckpointStore checkpoints, CancellationToken cancellationToken)
    {
        var tenant = user.GetTenantId();
        if (await runs.GetAsync(tenant, id, cancellationToken) is null)
        {
            return Problem.NotFound($"Run {id}");
        }

        var state = await LatestStateAsync(checkpoints, tenant, id, cancellationToken) ?? RunCheckpoint.Empty;
        IReadOnlyList<StepResponse> steps = [.. state.Steps.OrderBy(s => s.Value.StartedAt ?? s.Value.EndedAt).Select(s => new StepResponse(
            s.Key, Name(s.Value.Status), s.Value.Attempts, s.Value.StartedAt, s.Value.EndedAt, s.Value.DurationMs, s.Value.NextAttemptAt, s.Value.WaitingFor,
            s.Value.Output, s.Value.Error is { } e ? JsonSerializer.SerializeToElement(new Dictionary<string, object> { ["code"] = e.Code, ["message"] = e.Message, ["retryable"] = e.Retryable }) : null))];
        return TypedResults.Ok(steps);
    }

    private static async Task<Results<Ok<RunTimelineResponse>, ProblemHttpResult>> TimelineAsync(
        string id, ClaimsPrincipal user, IRunStore runs, IOutbox outbox, ICheckpointStore checkpoints, TimeProvider time, IOptions<TraceLinkOptions> traceLinks,
        CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(id, out var runId))
        {
            return Problem.Create(StatusCodes.Status400BadRequest, ProblemTypes.InvalidParameter, "Invalid path parameter",
                $"'{Truncate(id)}' is not a run id: a run id is a UUID, e.g. 0190a0f4-5b1e-7c3d-8e9f-0a1b2c3d4e5f.", new Dictionary<string, object?> { ["parameter"] = "id" });
        }

        var run = await runs.GetAsync(user.GetTenantId(), runId, cancellationToken);
        return run is null
            ? Problem.NotFound($"Run {runId}")
            : TypedResults.Ok(await RunTimeline.ReadAsync(run, outbox, checkpoints, time.GetUtcNow(), traceLinks.Value, cancellationToken));
    }

    private static string Truncate(string value) => value.Length <= 64 ? value : value[..64] + "…";

    private static async Task<Results<Ok<CheckpointResponse>, ProblemHttpResult>> CheckpointAsync(
        Guid id, long version, ClaimsPrincipal user, ICheckpointStore checkpoints, CancellationToken cancellationToken)
    {
        var checkpoint = await checkpoints.GetAsync(user.GetTenantId(), id, version, cancellationToken);
        return checkpoint is null
            ? Problem.NotFound($"Checkpoint {version} of run {id}")
            : TypedResults.Ok(new CheckpointResponse(id, checkpoint.Version, checkpoint.FormatVersion, checkpoint.CreatedAt, JsonElement.Parse(checkpoint.State)));
    }

    private static async Task<Results<Accepted<RunAcceptedResponse>, ProblemHttpResult>> ResumeAsync(
        Guid id, HttpContext httpContext, ClaimsPrincipal user, RunService runs)
    {
        JsonElement? input = null;
        if (httpContext.Request.ContentLength is > 0 || httpContext.Request.Headers.TransferEncoding.Count > 0)
        {
            var (request, problem) = await JsonBody.ReadAsync(httpContext, GatewayJsonContext.Default.ResumeRunRequest);
            if (problem is not null)
            {
                return problem;
            }

            input = request!.Input;
        }

        return ToChangeResult(id, await runs.ResumeAsync(user.GetTenantId(), id, input, httpContext.RequestAborted));
    }

    private static async Task<Results<Accepted<RunAcceptedResponse>, ProblemHttpResult>> CancelAsync(
        Guid id, ClaimsPrincipal user, RunService runs, CancellationToken cancellationToken) =>
        ToChangeResult(id, await runs.CancelAsync(user.GetTenantId(), id, $"cancelled by {user.FindFirstValue(SomaClaims.Subject) ?? "a user"}", cancellationToken));

    private static async Task<Results<ServerSentEventsResult<string>, ProblemHttpResult>> Events(
        Guid id, HttpContext httpContext, ClaimsPrincipal user, IRunStore runs, IOutbox outbox, TimeProvider time)
    {
        var tenant = user.GetTenantId();
        if (await runs.GetAsync(tenant, id, httpContext.RequestAborted) is null)
        {
            return Problem.NotFound($"Run {id}");
        }

        var lastEventId = httpContext.Request.Headers["Last-Event-ID"].ToString();
        Guid? after = Guid.TryParse(lastEventId, out var parsed) ? parsed : null;
        return TypedResults.ServerSentEvents(StreamAsync(tenant, id, after, runs, outbox, time, httpContext.RequestAborted));
    }

    private static async IAsyncEnumerable<SseItem<string>> StreamAsync(
        string tenant, Guid runId, Guid? after, IRunStore runs, IOutbox outbox, TimeProvider time, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var partition = runId.ToString();
        while (!cancellationToken.IsCancellationRequested)
        {
            // Read the run's state before its events: if it has ended, every event it will ever have is already stored.
            var ended = (await runs.GetAsync(tenant, runId, cancellationToken))?.IsEnded ?? true;
            var batch = await outbox.ListPartitionAsync(tenant, partition, after, PageRequest.MaxLimit, cancellationToken);
            foreach (var entry in batch)
            {
                after = entry.Message.Id;
                using var document = JsonDocument.Parse(entry.Message.Payload);
                var type = document.RootElement.TryGetProperty("type", out var t) ? t.GetString() : null;
                yield return new SseItem<string>(entry.Message.Payload, type) { EventId = entry.Message.Id.ToString() };
            }

            if (batch.Count == PageRequest.MaxLimit)
            {
                continue;
            }

            if (ended)
            {
                yield break;
            }

            await Task.Delay(TailInterval, time, cancellationToken);
        }
    }

    private static Results<Accepted<RunAcceptedResponse>, ProblemHttpResult> ToChangeResult(Guid id, RunChangeResult result) =>
        result switch
        {
            { Found: false } => Problem.NotFound($"Run {id}"),
            { ConflictMessage: { } message } => Problem.Conflict(message),
            { Run: { } run } => TypedResults.Accepted($"/v1/runs/{run.Id}", new RunAcceptedResponse(run.Id, Name(run.State))),
            _ => throw new InvalidOperationException("Unknown change result."),
        };

    private static async Task<RunCheckpoint?> LatestStateAsync(ICheckpointStore checkpoints, string tenant, Guid id, CancellationToken cancellationToken) =>
        await checkpoints.GetLatestAsync(tenant, id, cancellationToken) is { } latest ? CheckpointFormat.Read(latest.FormatVersion, latest.State) : null;

    private static RunResponse ToResponse(RunRecord r, IReadOnlyList<string>? currentSteps) => new(
        r.Id, r.Workflow, r.WorkflowVersion, Name(r.State), r.Version, r.CheckpointVersion, r.CreatedAt, r.UpdatedAt, r.EndedAt, r.WaitingFor,
        Parse(r.Input), Parse(r.Output), Parse(r.Error), currentSteps);

    private static JsonElement? Parse(string? json) => json is null ? null : JsonElement.Parse(json);

    private static string Name<T>(T value)
        where T : struct, Enum => value.ToString().ToLowerInvariant();

    private static string InputPointer(string pointer) => "/input" + pointer;
}
