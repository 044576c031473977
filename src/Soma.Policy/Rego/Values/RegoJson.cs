using System.Text.Encodings.Web;
using System.Text.Json;

namespace Soma.Policy.Rego.Values;

/// <summary>JSON settings for printing values: no escaping beyond what JSON requires.</summary>
internal static class RegoJson
{
    public static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
