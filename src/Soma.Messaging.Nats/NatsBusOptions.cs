using System.ComponentModel.DataAnnotations;

namespace Soma.Messaging.Nats;

/// <summary>The NATS JetStream bus, bound from <c>Soma:Bus:Nats</c> (used when <c>Soma:Bus:Provider</c> is <c>nats</c>).</summary>
public sealed class NatsBusOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Soma:Bus:Nats";

    /// <summary>The server URL(s), comma-separated: <c>nats://127.0.0.1:4222</c>. Required.</summary>
    [Required(ErrorMessage = "A NATS server URL is required when Soma:Bus:Provider is 'nats' (e.g. nats://127.0.0.1:4222).")]
    public string Url { get; set; } = "";

    /// <summary>User name, with <see cref="Password"/>; null for none.</summary>
    public string? User { get; set; }

    /// <summary>Password of <see cref="User"/>; never logged.</summary>
    public string? Password { get; set; }

    /// <summary>A token instead of user and password; never logged.</summary>
    public string? Token { get; set; }

    /// <summary>A credentials file (<c>.creds</c>: JWT and NKey seed) instead of the above; null for none.</summary>
    public string? CredentialsFile { get; set; }

    /// <summary>The JetStream stream that keeps events. Default <c>SOMA_EVENTS</c>.</summary>
    [RegularExpression("^[A-Za-z0-9_-]{1,64}$", ErrorMessage = "A stream name is 1–64 letters, digits, '_' or '-'.")]
    public string Stream { get; set; } = "SOMA_EVENTS";

    /// <summary>How long the stream keeps an event, in hours (0 = no age limit). Default 168 (7 days).</summary>
    [Range(0, 87_600)]
    public int MaxAgeHours { get; set; } = 168;

    /// <summary>The most the stream keeps, in bytes (-1 = no size limit); the oldest events go first. Default -1.</summary>
    [Range(-1, long.MaxValue)]
    public long MaxBytes { get; set; } = -1;

    /// <summary>How long a message id is remembered to refuse a duplicate, in seconds. Default 120.</summary>
    [Range(1, 86_400)]
    public int DuplicateWindowSeconds { get; set; } = 120;

    /// <summary>Stream replicas (1 on a single server; 3 on a cluster). Default 1.</summary>
    [Range(1, 5)]
    public int Replicas { get; set; } = 1;

    /// <summary>How long a publish or a request waits for the server, in seconds. Default 5.</summary>
    [Range(1, 300)]
    public int TimeoutSeconds { get; set; } = 5;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var url in (Url ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // The URL is not echoed: a wrong one may still hold a password.
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("nats" or "tls" or "ws" or "wss"))
            {
                yield return new ValidationResult("Each URL must be a NATS URL (nats://host:port).", [nameof(Url)]);
            }
            else if (uri.UserInfo.Length > 0)
            {
                yield return new ValidationResult("Credentials go in User and Password, Token or CredentialsFile, not in the URL.", [nameof(Url)]);
            }
        }
    }
}
