using System.Text.Json;
using System.Text.Json.Serialization;
using Soma.Gateway.Health;
using Soma.Gateway.Runs;
using Soma.Gateway.Sessions;

namespace Soma.Gateway;

/// <summary>Source-generated JSON for every type the gateway reads or writes (snake_case on the wire).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CreateSessionRequest))]
[JsonSerializable(typeof(UpdateSessionRequest))]
[JsonSerializable(typeof(Auth.JwksResponse))]
[JsonSerializable(typeof(SessionResponse))]
[JsonSerializable(typeof(MessageResponse))]
[JsonSerializable(typeof(PageResponse<SessionResponse>))]
[JsonSerializable(typeof(PageResponse<MessageResponse>))]
[JsonSerializable(typeof(PostMessageRequest))]
[JsonSerializable(typeof(MessageAcceptedResponse))]
[JsonSerializable(typeof(UsageResponse))]
[JsonSerializable(typeof(StartRunRequest))]
[JsonSerializable(typeof(ResumeRunRequest))]
[JsonSerializable(typeof(RunAcceptedResponse))]
[JsonSerializable(typeof(RunResponse))]
[JsonSerializable(typeof(PageResponse<RunResponse>))]
[JsonSerializable(typeof(IReadOnlyList<StepResponse>))]
[JsonSerializable(typeof(CheckpointResponse))]
[JsonSerializable(typeof(RunTimelineResponse))]
[JsonSerializable(typeof(LivenessResponse))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(Memory.MemoryRecallResponse))]
[JsonSerializable(typeof(Memory.SessionMemoriesResponse))]
[JsonSerializable(typeof(Memory.MemoryStatusResponse))]
[JsonSerializable(typeof(Memory.MemoryFlushProgress))]
[JsonSerializable(typeof(Memory.MemoryReindexProgress))]
[JsonSerializable(typeof(PageResponse<Policy.PolicyDecisionItem>))]
[JsonSerializable(typeof(Tools.ToolStatsResponse))]
[JsonSerializable(typeof(DateTimeOffset))]
[JsonSerializable(typeof(double))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(int))]
internal sealed partial class GatewayJsonContext : JsonSerializerContext;
