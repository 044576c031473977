using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Builtins;

internal static partial class StandardLibrary
{
    private static void AddJwt(List<Builtin> all)
    {
        Add(all, "io.jwt.decode", 1, (_, a) =>
        {
            var (header, payload, signature, _) = DecodeJwt("io.jwt.decode", ArgString("io.jwt.decode", a[0]));
            return Value.Array(header, payload, Value.String(Hex(signature)));
        });
        Add(all, "io.jwt.verify_hs256", 2, (_, a) => VerifyHmac("io.jwt.verify_hs256", a, HMACSHA256.HashData));
        Add(all, "io.jwt.verify_hs384", 2, (_, a) => VerifyHmac("io.jwt.verify_hs384", a, HMACSHA384.HashData));
        Add(all, "io.jwt.verify_hs512", 2, (_, a) => VerifyHmac("io.jwt.verify_hs512", a, HMACSHA512.HashData));
    }

    private static BooleanValue VerifyHmac(string name, ReadOnlySpan<Value> a, Func<byte[], byte[], byte[]> hmac)
    {
        var token = ArgString(name, a[0]);
        var secret = ArgString(name, a[1]);
        var (_, _, signature, signed) = DecodeJwt(name, token);
        return Value.Bool(CryptographicOperations.FixedTimeEquals(hmac(Utf8(secret), Encoding.ASCII.GetBytes(signed)), signature));
    }

    private static (Value Header, Value Payload, byte[] Signature, string Signed) DecodeJwt(string name, string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            throw Error(name, "encoded JWT must have 3 sections, found " + parts.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        Value Json(string part, string what)
        {
            var bytes = DecodeBase64(part.TrimEnd('='), url: true) ?? throw Error(name, $"failed to decode JWT {what}: illegal base64 data");
            try
            {
                return Value.ParseJson(Encoding.UTF8.GetString(bytes)) is ObjectValue o ? o : throw Error(name, $"JWT {what} is not a JSON object");
            }
            catch (JsonException e)
            {
                throw Error(name, $"failed to parse JWT {what}: {e.Message}");
            }
        }

        var header = Json(parts[0], "header");
        var payload = Json(parts[1], "payload");
        var signature = DecodeBase64(parts[2].TrimEnd('='), url: true) ?? throw Error(name, "failed to decode JWT signature: illegal base64 data");
        return (header, payload, signature, parts[0] + "." + parts[1]);
    }
}
