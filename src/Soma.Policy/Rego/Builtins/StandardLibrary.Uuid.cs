using System.Globalization;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Builtins;

internal static partial class StandardLibrary
{
    private static void AddUuid(List<Builtin> all)
    {
        Add(all, "uuid.rfc4122", 1, (ctx, a) =>
        {
            var seed = ArgString("uuid.rfc4122", a[0]);
#pragma warning disable RS0030 // uuid.rfc4122 is a random (version 4) UUID by definition, memoized per seed as OPA does.
            return ctx.Memo("uuid.rfc4122", Value.String(seed), () => Value.String(Guid.NewGuid().ToString("D", CultureInfo.InvariantCulture)));
#pragma warning restore RS0030
        }, nondeterministic: true);
        Add(all, "uuid.parse", 1, (_, a) =>
        {
            var text = ArgString("uuid.parse", a[0]);
            if (text.StartsWith("urn:uuid:", StringComparison.OrdinalIgnoreCase))
            {
                text = text[9..];
            }
            else if (text.Length == 38 && text[0] == '{' && text[^1] == '}')
            {
                text = text[1..^1];
            }

            if (text.Length is not (36 or 32) || (text.Length == 36 && (text[8] != '-' || text[13] != '-' || text[18] != '-' || text[23] != '-')))
            {
                return null;
            }

            var hex = text.Replace("-", string.Empty, StringComparison.Ordinal);
            if (hex.Length != 32 || !hex.All(char.IsAsciiHexDigit))
            {
                return null;
            }

            var bytes = Convert.FromHexString(hex);
            var variant = bytes[8] switch
            {
                < 0x80 => "Reserved, NCS backward compatibility.",
                < 0xC0 => "RFC4122",
                < 0xE0 => "Reserved, Microsoft Corporation backward compatibility.",
                _ => "Reserved, future definition.",
            };
            return Value.Object(("variant", Value.String(variant)), ("version", Value.Number(bytes[6] >> 4)));
        });
    }
}
