using System.ComponentModel.DataAnnotations;

namespace Soma.Orchestration.Export;

/// <summary>Where run graphs are exported (section <c>Soma:Orchestration:Export</c>). Off by default.</summary>
public sealed class ExportOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Soma:Orchestration:Export";

    /// <summary><c>none</c> (default), <c>http</c> (POST each graph to <see cref="Url"/>) or <c>directory</c> (write files to <see cref="Directory"/>).</summary>
    [RegularExpression("^(?i)(none|http|directory)$", ErrorMessage = "must be none, http or directory")]
    public string Mode { get; set; } = "none";

    /// <summary>The endpoint graphs are POSTed to in <c>http</c> mode.</summary>
    public string Url { get; set; } = "";

    /// <summary>The directory graphs are written to in <c>directory</c> mode (<c>{tenant}/{run}.json</c> and <c>.mmd</c>).</summary>
    public string Directory { get; set; } = "";

    /// <summary>Attempts per graph in <c>http</c> mode before it is dropped. Default 3.</summary>
    [Range(1, 10)]
    public int MaxAttempts { get; set; } = 3;
}
