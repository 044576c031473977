using System.Numerics;
using System.Text.RegularExpressions;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Builtins;

internal static partial class StandardLibrary
{
    private static readonly Regex SemverPattern = new(
        @"\A(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-((?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?\z",
        RegexOptions.CultureInvariant | RegexOptions.Compiled,
        TimeSpan.FromSeconds(1));

    private static void AddSemver(List<Builtin> all)
    {
        Add(all, "semver.is_valid", 1, (_, a) => Value.Bool(SemverPattern.IsMatch(ArgString("semver.is_valid", a[0]))));
        Add(all, "semver.compare", 2, (_, a) =>
        {
            var left = ArgString("semver.compare", a[0]);
            var right = ArgString("semver.compare", a[1]);
            var x = SemverPattern.Match(left);
            var y = SemverPattern.Match(right);
            if (!x.Success)
            {
                throw Error("semver.compare", $"operand 1: string \"{left}\" is not a valid SemVer");
            }

            if (!y.Success)
            {
                throw Error("semver.compare", $"operand 2: string \"{right}\" is not a valid SemVer");
            }

            for (var g = 1; g <= 3; g++)
            {
                var byPart = BigInteger.Parse(x.Groups[g].Value, System.Globalization.CultureInfo.InvariantCulture)
                    .CompareTo(BigInteger.Parse(y.Groups[g].Value, System.Globalization.CultureInfo.InvariantCulture));
                if (byPart != 0)
                {
                    return Value.Number(byPart);
                }
            }

            return Value.Number(ComparePrerelease(x.Groups[4].Value, y.Groups[4].Value));
        });
    }

    private static int ComparePrerelease(string left, string right)
    {
        if (left.Length == 0 || right.Length == 0)
        {
            // A release sorts after its prereleases.
            return left.Length == right.Length ? 0 : left.Length == 0 ? 1 : -1;
        }

        var l = left.Split('.');
        var r = right.Split('.');
        for (var i = 0; i < Math.Min(l.Length, r.Length); i++)
        {
            var lNumeric = BigInteger.TryParse(l[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var ln);
            var rNumeric = BigInteger.TryParse(r[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var rn);
            var byPart = (lNumeric, rNumeric) switch
            {
                (true, true) => ln.CompareTo(rn),
                (true, false) => -1,
                (false, true) => 1,
                _ => Math.Sign(string.CompareOrdinal(l[i], r[i])),
            };
            if (byPart != 0)
            {
                return byPart;
            }
        }

        return l.Length.CompareTo(r.Length);
    }
}
