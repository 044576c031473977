using System.ComponentModel.DataAnnotations;
using Npgsql;

namespace Soma.Storage.Postgres;

/// <summary>Settings of the PostgreSQL store (section <c>Soma:Store:Postgres</c>).</summary>
public sealed class PostgresStoreOptions : IValidatableObject
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "Soma:Store:Postgres";

    /// <summary>An Npgsql connection string, e.g. <c>Host=db;Database=soma;Username=soma;Password=…</c>. Required.</summary>
    [Required(ErrorMessage = "A connection string is required when Soma:Store:Provider is 'postgres'.")]
    public string ConnectionString { get; set; } = "";

    /// <summary>
    /// How many transactions at once carry the commits of concurrent callers (run steps, accepted messages) together:
    /// commits that arrive while these are busy queue and share the next one. 0 commits each alone, in parallel. Each lane
    /// holds one pooled connection while it writes. Default 0: on the durable-step benchmark grouping was slower on
    /// PostgreSQL, whose shared transaction runs its callers' statements one round trip after another.
    /// </summary>
    [Range(0, 64)]
    public int GroupCommit { get; set; }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            yield break;
        }

        string? problem = null;
        try
        {
            _ = new NpgsqlConnectionStringBuilder(ConnectionString);
        }
        catch (ArgumentException ex)
        {
            // The message names the keyword, never a value, so it cannot leak a password.
            problem = $"Not a valid Npgsql connection string: {ex.Message}";
        }

        if (problem is not null)
        {
            yield return new ValidationResult(problem, [nameof(ConnectionString)]);
        }
    }
}
