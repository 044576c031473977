using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Builtins;

/// <summary>
/// RFC 6902 JSON Patch over Rego values, as <c>json.patch</c>: any failing operation makes the result undefined. Paths
/// are JSON pointers or arrays of segments; a set member is addressed by its value.
/// </summary>
internal static class JsonPatch
{
    public static Value? Apply(Value document, ArrayValue patches)
    {
        Value? current = document;
        foreach (var patch in patches.Items)
        {
            if (patch is not ObjectValue op || op["op"] is not StringValue name || op["path"] is not { } pathValue || ParsePath(pathValue) is not { } path)
            {
                return null;
            }

            switch (name.Value)
            {
                case "add":
                    if (op["value"] is not { } added)
                    {
                        return null;
                    }

                    current = Add(current, path, 0, added);
                    break;
                case "remove":
                    if (current is null)
                    {
                        return null;
                    }

                    if (path.Count == 0)
                    {
                        current = null;
                        continue;
                    }

                    current = Remove(current, path, 0);
                    if (current is null)
                    {
                        return null;
                    }

                    break;
                case "replace":
                    if (op["value"] is not { } replacement)
                    {
                        return null;
                    }

                    current = path.Count == 0 ? (current is null ? null : replacement) : current is null ? null : Replace(current, path, 0, replacement);
                    break;
                case "move":
                case "copy":
                    {
                        if (op["from"] is not { } fromValue || ParsePath(fromValue) is not { } from || current is null)
                        {
                            return null;
                        }

                        var moved = Get(current, from);
                        if (moved is null)
                        {
                            return null;
                        }

                        if (name.Value == "move")
                        {
                            if (path.Count > from.Count && IsPrefix(from, path))
                            {
                                return null;
                            }

                            current = from.Count == 0 ? null : Remove(current, from, 0);
                            if (current is null && from.Count != 0)
                            {
                                return null;
                            }
                        }

                        current = Add(current, path, 0, moved);
                        break;
                    }

                case "test":
                    if (op["value"] is not { } expected || current is null || Get(current, path) is not { } actual || !actual.Equals(expected))
                    {
                        return null;
                    }

                    break;
                default:
                    return null;
            }

            if (current is null)
            {
                return null;
            }
        }

        return current;
    }

    private static List<Value>? ParsePath(Value path)
    {
        if (path is ArrayValue array)
        {
            return [.. array.Items];
        }

        if (path is not StringValue s)
        {
            return null;
        }

        if (s.Value.Length == 0)
        {
            return [];
        }

        if (s.Value[0] != '/')
        {
            return null;
        }

        var segments = new List<Value>();
        foreach (var part in s.Value[1..].Split('/'))
        {
            segments.Add(Value.String(part.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)));
        }

        return segments;
    }

    private static bool IsPrefix(List<Value> prefix, List<Value> path)
    {
        for (var i = 0; i < prefix.Count; i++)
        {
            if (!prefix[i].Equals(path[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static bool TryIndex(Value segment, int count, bool allowEnd, out int index)
    {
        index = -1;
        if (segment is StringValue s)
        {
            if (s.Value == "-")
            {
                index = count;
                return allowEnd;
            }

            if (s.Value.Length == 0 || (s.Value.Length > 1 && s.Value[0] == '0'))
            {
                return false;
            }

            foreach (var c in s.Value)
            {
                if (c is < '0' or > '9')
                {
                    return false;
                }
            }

            if (!int.TryParse(s.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out index))
            {
                return false;
            }
        }
        else if (segment is not NumberValue n || !n.TryGetInt32(out index))
        {
            return false;
        }

        return index >= 0 && (allowEnd ? index <= count : index < count);
    }

    private static Value? Get(Value document, List<Value> path)
    {
        Value? current = document;
        foreach (var segment in path)
        {
            current = current switch
            {
                ObjectValue o => o[segment],
                ArrayValue a when TryIndex(segment, a.Count, false, out var i) => a.Items[i],
                SetValue s when s.Items.Contains(segment) => segment,
                _ => null,
            };
            if (current is null)
            {
                return null;
            }
        }

        return current;
    }

    private static Value? Add(Value? node, List<Value> path, int depth, Value value)
    {
        if (depth == path.Count)
        {
            return value;
        }

        var segment = path[depth];
        var last = depth == path.Count - 1;
        switch (node)
        {
            case ObjectValue o:
                if (last)
                {
                    return Value.Object(o.Members.SetItem(segment, value));
                }

                return o[segment] is { } child && Add(child, path, depth + 1, value) is { } updated ? Value.Object(o.Members.SetItem(segment, updated)) : null;
            case ArrayValue a:
                if (last)
                {
                    return TryIndex(segment, a.Count, true, out var at) ? Value.Array(a.Items.Insert(at, value)) : null;
                }

                return TryIndex(segment, a.Count, false, out var i) && Add(a.Items[i], path, depth + 1, value) is { } item ? Value.Array(a.Items.SetItem(i, item)) : null;
            case SetValue s:
                if (last)
                {
                    return Value.Set(s.Items.Add(value));
                }

                return s.Items.Contains(segment) && Add(segment, path, depth + 1, value) is { } member ? Value.Set(s.Items.Remove(segment).Add(member)) : null;
            default:
                return null;
        }
    }

    private static Value? Remove(Value node, List<Value> path, int depth)
    {
        var segment = path[depth];
        var last = depth == path.Count - 1;
        switch (node)
        {
            case ObjectValue o:
                if (o[segment] is not { } child)
                {
                    return null;
                }

                return last ? Value.Object(o.Members.Remove(segment)) : Remove(child, path, depth + 1) is { } updated ? Value.Object(o.Members.SetItem(segment, updated)) : null;
            case ArrayValue a:
                if (!TryIndex(segment, a.Count, false, out var i))
                {
                    return null;
                }

                return last ? Value.Array(a.Items.RemoveAt(i)) : Remove(a.Items[i], path, depth + 1) is { } item ? Value.Array(a.Items.SetItem(i, item)) : null;
            case SetValue s:
                if (!s.Items.Contains(segment))
                {
                    return null;
                }

                return last ? Value.Set(s.Items.Remove(segment)) : Remove(segment, path, depth + 1) is { } member ? Value.Set(s.Items.Remove(segment).Add(member)) : null;
            default:
                return null;
        }
    }

    private static Value? Replace(Value node, List<Value> path, int depth, Value value)
    {
        var segment = path[depth];
        var last = depth == path.Count - 1;
        switch (node)
        {
            case ObjectValue o:
                if (o[segment] is not { } child)
                {
                    return null;
                }

                return last ? Value.Object(o.Members.SetItem(segment, value)) : Replace(child, path, depth + 1, value) is { } updated ? Value.Object(o.Members.SetItem(segment, updated)) : null;
            case ArrayValue a:
                if (!TryIndex(segment, a.Count, false, out var i))
                {
                    return null;
                }

                return last ? Value.Array(a.Items.SetItem(i, value)) : Replace(a.Items[i], path, depth + 1, value) is { } item ? Value.Array(a.Items.SetItem(i, item)) : null;
            case SetValue s:
                // A set member is its own key: replacing it (or anything inside it) by another value has no address.
                return last && s.Items.Contains(segment) && segment.Equals(value) ? s : null;
            default:
                return null;
        }
    }
}
