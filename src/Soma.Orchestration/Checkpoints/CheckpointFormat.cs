using System.Text.Json;
using System.Text.Json.Serialization;

namespace Soma.Orchestration.Checkpoints;

/// <summary>
/// Reads and writes checkpoints. The format is versioned: <see cref="Current"/> is written; every older version this
/// code knows is read (golden files in the tests prove it); anything else is refused with an error naming both
/// versions, never misread.
/// </summary>
public static class CheckpointFormat
{
    /// <summary>The format version this build writes.</summary>
    public const int Current = 1;

    private static readonly JsonSerializerOptions Options = CreateOptions();

    /// <summary>Serializes a state in the current format.</summary>
    public static string Write(RunCheckpoint checkpoint) => JsonSerializer.Serialize(checkpoint, Options);

    /// <summary>Reads a stored checkpoint.</summary>
    /// <exception cref="CheckpointFormatException">The format version is unknown, or the content is corrupted.</exception>
    public static RunCheckpoint Read(int formatVersion, string state)
    {
        if (formatVersion is < 1 or > Current)
        {
            throw new CheckpointFormatException(
                $"Checkpoint format version {formatVersion} cannot be read by this build, which reads versions 1 to {Current} (writes {Current}). Upgrade SomaAgent to resume this run.",
                formatVersion);
        }

        try
        {
            return JsonSerializer.Deserialize<RunCheckpoint>(state, Options)
                ?? throw new JsonException("The checkpoint is null.");
        }
        catch (JsonException ex)
        {
            throw new CheckpointFormatException(
                $"Checkpoint (format version {formatVersion}, this build writes {Current}) is corrupted: {ex.Message}", formatVersion, ex);
        }
    }

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.General)
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            RespectRequiredConstructorParameters = true,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
