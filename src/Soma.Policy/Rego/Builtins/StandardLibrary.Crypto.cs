using System.Security.Cryptography;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Builtins;

internal static partial class StandardLibrary
{
    private static void AddCrypto(List<Builtin> all)
    {
#pragma warning disable CA5350, CA5351 // MD5 and SHA-1 are what the policy asked for (checksums, legacy ids), not our security.
        Add(all, "crypto.md5", 1, (_, a) => Str(Hex(MD5.HashData(Utf8(ArgString("crypto.md5", a[0]))))));
        Add(all, "crypto.sha1", 1, (_, a) => Str(Hex(SHA1.HashData(Utf8(ArgString("crypto.sha1", a[0]))))));
        Add(all, "crypto.hmac.md5", 2, (_, a) => Str(Hex(HMACMD5.HashData(Utf8(ArgString("crypto.hmac.md5", a[1])), Utf8(ArgString("crypto.hmac.md5", a[0]))))));
        Add(all, "crypto.hmac.sha1", 2, (_, a) => Str(Hex(HMACSHA1.HashData(Utf8(ArgString("crypto.hmac.sha1", a[1])), Utf8(ArgString("crypto.hmac.sha1", a[0]))))));
#pragma warning restore CA5350, CA5351
        Add(all, "crypto.sha256", 1, (_, a) => Str(Hex(SHA256.HashData(Utf8(ArgString("crypto.sha256", a[0]))))));
        Add(all, "crypto.hmac.sha256", 2, (_, a) => Str(Hex(HMACSHA256.HashData(Utf8(ArgString("crypto.hmac.sha256", a[1])), Utf8(ArgString("crypto.hmac.sha256", a[0]))))));
        Add(all, "crypto.hmac.sha512", 2, (_, a) => Str(Hex(HMACSHA512.HashData(Utf8(ArgString("crypto.hmac.sha512", a[1])), Utf8(ArgString("crypto.hmac.sha512", a[0]))))));
        Add(all, "crypto.hmac.equal", 2, (_, a) => Value.Bool(CryptographicOperations.FixedTimeEquals(
            Utf8(ArgString("crypto.hmac.equal", a[0])), Utf8(ArgString("crypto.hmac.equal", a[1])))));
    }
}
