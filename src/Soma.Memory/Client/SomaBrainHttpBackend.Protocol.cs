using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Soma.Core.Memory;

namespace Soma.Memory.Client;

// Protocol mapping: our request and response records to and from the SomaBrain wire JSON (MemoryJson's contracts),
// and the service's error body.
public sealed partial class SomaBrainHttpBackend
{
    private const int MaxDetailLength = 500;

    private static ByteArrayContent Json<T>(T body, JsonTypeInfo<T> typeInfo)
    {
        // Buffered, so the request has a Content-Length (some servers refuse chunked bodies).
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, typeInfo));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static async Task<T> ReadAsync<T>(string operation, HttpResponseMessage response, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync(typeInfo, cancellationToken).ConfigureAwait(false)
                ?? throw new MemoryBackendException($"Memory {operation}: the service answered with an empty body.", transient: true, (int)response.StatusCode);
        }
        catch (JsonException ex)
        {
            throw new MemoryBackendException($"Memory {operation}: the service answered with malformed JSON.", transient: true, (int)response.StatusCode, ex);
        }
        catch (NotSupportedException ex)
        {
            throw new MemoryBackendException($"Memory {operation}: the service answered with an unexpected content type.", transient: true, (int)response.StatusCode, ex);
        }
        catch (HttpRequestException ex)
        {
            throw new MemoryBackendException($"Memory {operation}: the connection was cut while reading the answer.", transient: true, (int)response.StatusCode, ex);
        }
        catch (IOException ex)
        {
            throw new MemoryBackendException($"Memory {operation}: the connection was cut while reading the answer.", transient: true, (int)response.StatusCode, ex);
        }
    }

    // The protocol's error body is {"detail": "…"}; FastAPI's validation errors put a list there instead.
    private static async Task<string?> ReadDetailAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        string text;
        try
        {
            text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (IOException)
        {
            return null;
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("detail", out var detail))
            {
                return Truncate(detail.ValueKind == JsonValueKind.String ? detail.GetString() ?? "" : detail.GetRawText());
            }
        }
        catch (JsonException)
        {
            // Not the protocol's error body; the raw text still says something.
        }

        return Truncate(text);
    }

    private static string Truncate(string text) => text.Length <= MaxDetailLength ? text : text[..MaxDetailLength] + "…";
}
