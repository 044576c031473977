namespace Soma.Gateway.Problems;

/// <summary>
/// The stable <c>type</c> URIs of every problem the HTTP API answers with (RFC 9457). Clients branch on these,
/// never on <c>title</c> or <c>detail</c>; the list is documented in <c>docs/reference/errors.md</c>.
/// </summary>
public static class ProblemTypes
{
    private const string Prefix = "urn:soma:problem:";

    /// <summary>401: no bearer token was sent.</summary>
    public const string TokenMissing = Prefix + "token-missing";

    /// <summary>401: the token has expired.</summary>
    public const string TokenExpired = Prefix + "token-expired";

    /// <summary>401: the token is not a well-formed JWT.</summary>
    public const string TokenMalformed = Prefix + "token-malformed";

    /// <summary>401: the token's signature, issuer, audience or algorithm is wrong.</summary>
    public const string TokenInvalid = Prefix + "token-invalid";

    /// <summary>401: the token has no valid <c>tenant</c> claim.</summary>
    public const string TokenNoTenant = Prefix + "token-no-tenant";

    /// <summary>401: the token was signed with a retired key (its <c>code</c> is <see cref="KeyRetiredCode"/>).</summary>
    public const string TokenKeyRetired = Prefix + "token-key-retired";

    /// <summary>The error code of <see cref="TokenKeyRetired"/>, in the problem's <c>code</c> and the <c>WWW-Authenticate</c> error description.</summary>
    public const string KeyRetiredCode = "token.key_retired";

    /// <summary>403: authenticated, but not allowed.</summary>
    public const string Forbidden = Prefix + "forbidden";

    /// <summary>404: no such resource for this tenant (another tenant's resource is also 404).</summary>
    public const string NotFound = Prefix + "not-found";

    /// <summary>405: the resource exists but not with this method.</summary>
    public const string MethodNotAllowed = Prefix + "method-not-allowed";

    /// <summary>400: the body is not valid JSON.</summary>
    public const string MalformedJson = Prefix + "malformed-json";

    /// <summary>400: the JSON is well-formed but a field is wrong, missing or unknown; <c>pointer</c> names it.</summary>
    public const string InvalidField = Prefix + "invalid-field";

    /// <summary>400: a query parameter is wrong; <c>parameter</c> names it.</summary>
    public const string InvalidParameter = Prefix + "invalid-parameter";

    /// <summary>413: the body is larger than <c>Soma:Gateway:MaxRequestBodyBytes</c>.</summary>
    public const string BodyTooLarge = Prefix + "body-too-large";

    /// <summary>415: the body is not <c>application/json</c>.</summary>
    public const string UnsupportedMediaType = Prefix + "unsupported-media-type";

    /// <summary>503: a component the request needs is down; try again later.</summary>
    public const string Unavailable = Prefix + "unavailable";

    /// <summary>The resource is in a state that does not allow the request (e.g. resuming a run that is not waiting or failed).</summary>
    public const string Conflict = Prefix + "conflict";

    /// <summary>429: a rate or concurrency limit; see Retry-After.</summary>
    public const string TooManyRequests = Prefix + "too-many-requests";

    /// <summary>500: an unexpected error; details are in the server log under the response's trace id.</summary>
    public const string Internal = Prefix + "internal";

    /// <summary>The type for a status code that has no more specific type.</summary>
    internal static string ForStatus(int status) => status switch
    {
        400 => InvalidField,
        401 => TokenMissing,
        403 => Forbidden,
        404 => NotFound,
        405 => MethodNotAllowed,
        413 => BodyTooLarge,
        409 => Conflict,
        415 => UnsupportedMediaType,
        503 => Unavailable,
        _ => status >= 500 ? Internal : Prefix + "http-" + status,
    };
}
