using System.Security.Cryptography;
using System.Text;
using CsCheck;
using Soma.Tools.Invocation;

namespace Soma.Tools.Tests.Invocation;

/// <summary>The reused per-thread digest gives the SHA-256 of the text's UTF-8 bytes, short or long, on any thread, call after call.</summary>
public sealed class TextSha256Tests
{
    [Fact]
    public void Every_text_hashes_as_a_one_shot_sha256_of_its_utf8_bytes() =>
        Gen.OneOf(Gen.String, Gen.String[Gen.Char, 100, 3_000], Gen.Const(""), Gen.Const("{\"tool\":\"é😀\"}"))
            .Sample(text => Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text))), TextSha256.Hex(text)), iter: 2_000);
}
