using System.Collections.Immutable;
using System.Globalization;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Rego.Builtins;

internal static partial class StandardLibrary
{
    private static void AddObjects(List<Builtin> all)
    {
        Add(all, "object.get", 3, (_, a) =>
        {
            var obj = ArgObject("object.get", a[0]);
            if (a[1] is not ArrayValue path)
            {
                return obj[a[1]] ?? a[2];
            }

            Value? current = obj;
            foreach (var segment in path.Items)
            {
                current = Child(current, segment);
                if (current is null)
                {
                    return a[2];
                }
            }

            return current;
        });
        Add(all, "object.keys", 1, (_, a) => Value.Set(ArgObject("object.keys", a[0]).Members.Keys));
        Add(all, "object.remove", 2, (_, a) =>
        {
            var obj = ArgObject("object.remove", a[0]);
            var members = obj.Members;
            foreach (var key in KeyCollection("object.remove", a[1]))
            {
                members = members.Remove(key);
            }

            return members == obj.Members ? obj : Value.Object(members);
        });
        Add(all, "object.filter", 2, (_, a) =>
        {
            var obj = ArgObject("object.filter", a[0]);
            var builder = ImmutableSortedDictionary.CreateBuilder<Value, Value>();
            foreach (var key in KeyCollection("object.filter", a[1]))
            {
                if (obj.Members.TryGetValue(key, out var value))
                {
                    builder[key] = value;
                }
            }

            return Value.Object(builder);
        });
        Add(all, "object.union", 2, (_, a) => Union(ArgObject("object.union", a[0]), ArgObject("object.union", a[1])));
        Add(all, "object.union_n", 1, (_, a) =>
        {
            var result = Value.EmptyObject;
            foreach (var item in ArgArray("object.union_n", a[0]).Items)
            {
                result = Union(result, ArgObject("object.union_n", item));
            }

            return result;
        });
        Add(all, "object.subset", 2, (_, a) =>
        {
            var ok = (a[0], a[1]) is (ObjectValue, ObjectValue) or (SetValue, SetValue) or (ArrayValue, ArrayValue) or (ArrayValue, SetValue);
            return ok
                ? Value.Bool(Subset(a[0], a[1]))
                : throw Error("object.subset", "both arguments must be objects, sets or arrays (or an array and a set)");
        });
        Add(all, "json.filter", 2, (_, a) =>
        {
            var obj = ArgObject("json.filter", a[0]);
            var tree = PathTree("json.filter", a[1]);
            return tree is null ? Value.EmptyObject : FilterPaths(obj, tree);
        });
        Add(all, "json.remove", 2, (_, a) =>
        {
            var obj = ArgObject("json.remove", a[0]);
            var tree = PathTree("json.remove", a[1]);
            return tree is null ? obj : RemovePaths(obj, tree);
        });
        Add(all, "json.patch", 2, (_, a) => JsonPatch.Apply(a[0], ArgArray("json.patch", a[1])));
    }

    private static Value? Child(Value? parent, Value segment) => parent switch
    {
        ObjectValue o => o[segment],
        ArrayValue arr when segment is NumberValue n && n.TryGetInt32(out var i) && i >= 0 && i < arr.Count => arr.Items[i],
        SetValue s when s.Items.Contains(segment) => segment,
        _ => null,
    };

    private static IEnumerable<Value> KeyCollection(string name, Value keys) => keys switch
    {
        ArrayValue a => a.Items,
        SetValue s => s.Items,
        ObjectValue o => o.Members.Keys,
        _ => throw TypeError(name, "array, set or object", keys),
    };

    private static ObjectValue Union(ObjectValue left, ObjectValue right)
    {
        if (left.Count == 0)
        {
            return right;
        }

        var builder = left.Members.ToBuilder();
        foreach (var (key, value) in right.Members)
        {
            builder[key] = builder.TryGetValue(key, out var existing) && existing is ObjectValue l && value is ObjectValue r ? Union(l, r) : value;
        }

        return Value.Object(builder);
    }

    private static bool Subset(Value super, Value sub)
    {
        switch (super, sub)
        {
            case (ObjectValue sup, ObjectValue s):
                foreach (var (key, value) in s.Members)
                {
                    if (!sup.Members.TryGetValue(key, out var other) || !Subset(other, value))
                    {
                        return false;
                    }
                }

                return true;
            case (SetValue sup, SetValue s):
                return s.Items.IsSubsetOf(sup.Items);
            case (ArrayValue sup, SetValue s):
                foreach (var item in s.Items)
                {
                    if (!sup.Items.Contains(item))
                    {
                        return false;
                    }
                }

                return true;
            case (ArrayValue sup, ArrayValue s):
                if (s.Count == 0)
                {
                    return true;
                }

                for (var start = 0; start + s.Count <= sup.Count; start++)
                {
                    var match = true;
                    for (var i = 0; i < s.Count && match; i++)
                    {
                        match = sup.Items[start + i].Equals(s.Items[i]);
                    }

                    if (match)
                    {
                        return true;
                    }
                }

                return false;
            default:
                return super.Equals(sub);
        }
    }

    /// <summary>A tree of paths: a leaf keeps (or removes) the whole subtree.</summary>
    private sealed class PathNode
    {
        public Dictionary<Value, PathNode>? Children { get; set; }

        public bool IsLeaf { get; set; }
    }

    private static PathNode? PathTree(string name, Value paths)
    {
        PathNode? root = null;
        foreach (var path in ArrayOrSetItems(name, paths))
        {
            var segments = path switch
            {
                StringValue s => SplitPath(s.Value),
                ArrayValue arr => [.. arr.Items],
                _ => throw Error(name, $"path must be a string or an array, got {path.TypeName}"),
            };
            root ??= new PathNode();
            var node = root;
            foreach (var segment in segments)
            {
                if (node.IsLeaf)
                {
                    break;
                }

                node.Children ??= [];
                if (!node.Children.TryGetValue(segment, out var child))
                {
                    child = new PathNode();
                    node.Children[segment] = child;
                }

                node = child;
            }

            node.IsLeaf = true;
            node.Children = null;
        }

        return root;
    }

    private static List<Value> SplitPath(string path)
    {
        var trimmed = path.StartsWith('/') ? path[1..] : path;
        var segments = new List<Value>();
        foreach (var part in trimmed.Split('/'))
        {
            segments.Add(Value.String(part.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)));
        }

        return segments;
    }

    private static PathNode? ChildNode(PathNode node, Value key) =>
        node.Children is { } children && children.TryGetValue(key, out var child) ? child : null;

    private static Value? FilterPaths(Value value, PathNode node)
    {
        if (node.IsLeaf)
        {
            return value;
        }

        switch (value)
        {
            case ObjectValue obj:
                {
                    var builder = ImmutableSortedDictionary.CreateBuilder<Value, Value>();
                    foreach (var (key, member) in obj.Members)
                    {
                        if (ChildNode(node, key) is { } child && FilterPaths(member, child) is { } kept)
                        {
                            builder[key] = kept;
                        }
                    }

                    return Value.Object(builder);
                }

            case ArrayValue arr:
                {
                    var items = new List<Value>();
                    for (var i = 0; i < arr.Count; i++)
                    {
                        if (ChildNode(node, Value.String(i.ToString(CultureInfo.InvariantCulture))) is { } child && FilterPaths(arr.Items[i], child) is { } kept)
                        {
                            items.Add(kept);
                        }
                    }

                    return Value.Array(items);
                }

            case SetValue set:
                {
                    var items = new List<Value>();
                    foreach (var item in set.Items)
                    {
                        if (ChildNode(node, item) is { } child && FilterPaths(item, child) is { } kept)
                        {
                            items.Add(kept);
                        }
                    }

                    return Value.Set(items);
                }

            default:
                return null;
        }
    }

    private static Value RemovePaths(Value value, PathNode node)
    {
        switch (value)
        {
            case ObjectValue obj:
                {
                    var builder = ImmutableSortedDictionary.CreateBuilder<Value, Value>();
                    foreach (var (key, member) in obj.Members)
                    {
                        var child = ChildNode(node, key);
                        if (child is null)
                        {
                            builder[key] = member;
                        }
                        else if (!child.IsLeaf)
                        {
                            builder[key] = RemovePaths(member, child);
                        }
                    }

                    return Value.Object(builder);
                }

            case ArrayValue arr:
                {
                    var items = new List<Value>();
                    for (var i = 0; i < arr.Count; i++)
                    {
                        var child = ChildNode(node, Value.String(i.ToString(CultureInfo.InvariantCulture)));
                        if (child is null)
                        {
                            items.Add(arr.Items[i]);
                        }
                        else if (!child.IsLeaf)
                        {
                            items.Add(RemovePaths(arr.Items[i], child));
                        }
                    }

                    return Value.Array(items);
                }

            case SetValue set:
                {
                    var items = new List<Value>();
                    foreach (var item in set.Items)
                    {
                        var child = ChildNode(node, item);
                        if (child is null)
                        {
                            items.Add(item);
                        }
                        else if (!child.IsLeaf)
                        {
                            items.Add(RemovePaths(item, child));
                        }
                    }

                    return Value.Set(items);
                }

            default:
                return value;
        }
    }
}
