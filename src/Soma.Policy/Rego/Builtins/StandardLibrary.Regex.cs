using System.Text;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Builtins;

internal static partial class StandardLibrary
{
    private static void AddRegex(List<Builtin> all)
    {
        Add(all, "regex.match", 2, (_, a) =>
        {
            var pattern = ArgString("regex.match", a[0]);
            return Value.Bool(Re2.Get("regex.match", pattern).IsMatch("regex.match", ArgString("regex.match", a[1])));
        });
        Add(all, "re_match", 2, (_, a) =>
        {
            var pattern = ArgString("re_match", a[0]);
            return Value.Bool(Re2.Get("re_match", pattern).IsMatch("re_match", ArgString("re_match", a[1])));
        });
        Add(all, "regex.is_valid", 1, (_, a) => Value.Bool(a[0] is StringValue s && Re2.IsValid(s.Value)));
        Add(all, "regex.split", 2, (_, a) =>
        {
            var regex = Re2.Get("regex.split", ArgString("regex.split", a[0]));
            var text = ArgString("regex.split", a[1]);
            if (text.Length == 0)
            {
                return Value.Array(Value.String(string.Empty));
            }

            var parts = new List<string>();
            int begin = 0, end = 0;
            foreach (var m in regex.FindAll("regex.split", text, -1))
            {
                end = m.Index;
                if (m.Index + m.Length != 0)
                {
                    parts.Add(text[begin..end]);
                }

                begin = m.Index + m.Length;
            }

            if (end != text.Length)
            {
                parts.Add(text[begin..]);
            }

            return StringArray(parts);
        });
        Add(all, "regex.find_n", 3, (_, a) =>
        {
            var regex = Re2.Get("regex.find_n", ArgString("regex.find_n", a[0]));
            var text = ArgString("regex.find_n", a[1]);
            var limit = ArgInt32("regex.find_n", a[2], 3);
            var found = new List<string>();
            foreach (var m in regex.FindAll("regex.find_n", text, limit))
            {
                found.Add(m.Value);
            }

            return StringArray(found);
        });
        Add(all, "regex.find_all_string_submatch_n", 3, (_, a) =>
        {
            const string Name = "regex.find_all_string_submatch_n";
            var regex = Re2.Get(Name, ArgString(Name, a[0]));
            var text = ArgString(Name, a[1]);
            var limit = ArgInt32(Name, a[2], 3);
            var found = new List<Value>();
            foreach (var m in regex.FindAll(Name, text, limit))
            {
                var groups = new Value[m.Groups.Count];
                for (var g = 0; g < groups.Length; g++)
                {
                    groups[g] = Value.String(m.Groups[g].Success ? m.Groups[g].Value : string.Empty);
                }

                found.Add(Value.Array(groups));
            }

            return Value.Array(found);
        });
        Add(all, "regex.replace", 3, (_, a) =>
        {
            var text = ArgString("regex.replace", a[0]);
            var regex = Re2.Get("regex.replace", ArgString("regex.replace", a[1]));
            var template = ArgString("regex.replace", a[2]);
            var output = new StringBuilder(text.Length);
            var last = 0;
            foreach (var m in regex.FindAll("regex.replace", text, -1))
            {
                output.Append(text, last, m.Index - last);
                regex.Expand(output, template, m);
                last = m.Index + m.Length;
            }

            return Str(output.Append(text, last, text.Length - last).ToString());
        });
    }
}
