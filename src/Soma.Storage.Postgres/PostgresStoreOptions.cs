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
