using System.Numerics;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Builtins;

internal static partial class StandardLibrary
{
    private static void AddBits(List<Builtin> all)
    {
        Add(all, "bits.or", 2, (_, a) => Value.Number(BitsInt("bits.or", a[0], 1) | BitsInt("bits.or", a[1], 2)));
        Add(all, "bits.and", 2, (_, a) => Value.Number(BitsInt("bits.and", a[0], 1) & BitsInt("bits.and", a[1], 2)));
        Add(all, "bits.xor", 2, (_, a) => Value.Number(BitsInt("bits.xor", a[0], 1) ^ BitsInt("bits.xor", a[1], 2)));
        Add(all, "bits.negate", 1, (_, a) => Value.Number(-BitsInt("bits.negate", a[0], 1) - 1));
        Add(all, "bits.lsh", 2, (_, a) => Value.Number(BitsInt("bits.lsh", a[0], 1) << Shift("bits.lsh", a[1])));
        Add(all, "bits.rsh", 2, (_, a) => Value.Number(BitsInt("bits.rsh", a[0], 1) >> Shift("bits.rsh", a[1])));
    }

    private static BigInteger BitsInt(string name, Value value, int position)
    {
        var number = ArgNumber(name, value);
        return number.IsInteger ? number.Integer : throw Error(name, $"operand {position} must be integer number but got floating-point number");
    }

    private static int Shift(string name, Value value)
    {
        var shift = BitsInt(name, value, 2);
        if (shift.Sign < 0)
        {
            throw Error(name, "operand 2 must be an unsigned integer number but got a negative integer");
        }

        // A shift beyond this would build a number of hundreds of megabytes: refuse rather than exhaust memory.
        return shift <= 65536 ? (int)shift : throw Error(name, "operand 2 is too large");
    }
}
