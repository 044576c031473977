using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Soma.Gateway.Problems;

/// <summary>
/// Reads a JSON request body strictly: the right media type, within the size limit, well-formed, no unknown fields,
/// every field of the right type. Each failure is a problem that names the field by JSON pointer.
/// </summary>
internal static class JsonBody
{
    public static async Task<(T? Value, ProblemHttpResult? Problem)> ReadAsync<T>(HttpContext httpContext, JsonTypeInfo<T> typeInfo)
        where T : class
    {
        var request = httpContext.Request;
        if (!request.HasJsonContentType())
        {
            return (null, Problem.Create(StatusCodes.Status415UnsupportedMediaType, ProblemTypes.UnsupportedMediaType, "Unsupported media type", "Send the body as application/json."));
        }

        var limit = httpContext.RequestServices.GetRequiredService<IOptions<GatewayOptions>>().Value.MaxRequestBodyBytes;
        if (request.ContentLength > limit)
        {
            return (null, TooLarge(limit));
        }

        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, default, httpContext.RequestAborted);
        }
        catch (JsonException ex)
        {
            var where = ex.LineNumber is { } line ? $" at line {line + 1}, position {ex.BytePositionInLine + 1}" : string.Empty;
            return (null, Problem.Create(StatusCodes.Status400BadRequest, ProblemTypes.MalformedJson, "Malformed JSON", $"The body is not valid JSON{where}."));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(limit));
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, Problem.InvalidField(string.Empty, "The body must be a JSON object."));
            }

            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!typeInfo.Properties.Any(p => p.Name == property.Name))
                {
                    return (null, Problem.InvalidField("/" + EscapePointer(property.Name), $"Unknown field '{property.Name}'."));
                }
            }

            foreach (var required in typeInfo.Properties.Where(p => p.IsRequired))
            {
                if (!document.RootElement.TryGetProperty(required.Name, out _))
                {
                    return (null, Problem.InvalidField("/" + EscapePointer(required.Name), $"Field '{required.Name}' is required."));
                }
            }

            try
            {
                var value = document.RootElement.Deserialize(typeInfo);
                return value is null
                    ? (null, Problem.InvalidField(string.Empty, "The body must be a JSON object."))
                    : (value, null);
            }
            catch (JsonException ex)
            {
                var pointer = ToPointer(ex.Path);
                return (null, Problem.InvalidField(pointer, $"Field '{pointer}' is missing or has the wrong type."));
            }
        }
    }

    private static ProblemHttpResult TooLarge(long limit) =>
        Problem.Create(StatusCodes.Status413PayloadTooLarge, ProblemTypes.BodyTooLarge, "Body too large", $"The body is larger than the limit of {limit} bytes (Soma:Gateway:MaxRequestBodyBytes).");

    // System.Text.Json paths look like $.a.b[0] or $['odd name']; a JSON pointer is /a/b/0.
    internal static string ToPointer(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return string.Empty;
        }

        var segments = new List<string>();
        var i = path.StartsWith('$') ? 1 : 0;
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                var end = path.IndexOfAny(['.', '['], i + 1);
                end = end < 0 ? path.Length : end;
                segments.Add(path[(i + 1)..end]);
                i = end;
            }
            else if (path[i] == '[')
            {
                var end = path.IndexOf(']', i);
                end = end < 0 ? path.Length : end;
                segments.Add(path[(i + 1)..end].Trim('\''));
                i = end + 1;
            }
            else
            {
                i++;
            }
        }

        return string.Concat(segments.Select(s => "/" + EscapePointer(s)));
    }

    private static string EscapePointer(string segment) => segment.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);
}
