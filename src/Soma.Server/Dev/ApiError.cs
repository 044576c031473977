namespace Soma.Server.Dev;

/// <summary>An error as the OpenAI API reports it: <c>{"error":{"message","type","param","code"}}</c> with an HTTP status.</summary>
internal sealed record ApiError(int StatusCode, string Message, string Type, string? Param = null, string? Code = null)
{
    public static ApiError Invalid(string message, string? param = null, string? code = null) =>
        new(400, message, "invalid_request_error", param, code);

    public static ApiError MissingKey() => new(401,
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        "invalid_request_error", Code: "invalid_api_key");

    public static ApiError WrongKey() => new(401, "Incorrect API key provided.", "invalid_request_error", Code: "invalid_api_key");

    /// <summary>The error the real API sends with this status, for a scripted failure.</summary>
    public static ApiError ForStatus(int statusCode) => statusCode switch
    {
        400 => Invalid("The request was rejected (scripted by the dev model server)."),
        401 => WrongKey(),
        403 => new(403, "You are not allowed to sample from this model.", "invalid_request_error"),
        404 => new(404, "The model does not exist or you do not have access to it.", "invalid_request_error", Code: "model_not_found"),
        429 => new(429, "Rate limit reached for requests. Please try again later.", "requests", Code: "rate_limit_exceeded"),
        500 => new(500, "The server had an error while processing your request. Sorry about that!", "server_error"),
        503 => new(503, "The engine is currently overloaded, please try again later.", "server_error"),
        >= 500 => new(statusCode, $"The server had an error ({statusCode}) while processing your request.", "server_error"),
        _ => new(statusCode, $"The request failed with status {statusCode}.", "invalid_request_error"),
    };
}
