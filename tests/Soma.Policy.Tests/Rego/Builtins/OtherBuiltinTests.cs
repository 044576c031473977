using Soma.Policy.Rego.Values;
using static Soma.Policy.Tests.Rego.Builtins.Call;

namespace Soma.Policy.Tests.Rego.Builtins;

public sealed class OtherBuiltinTests
{
    private const long Ns = 1703444325734390000;

    [Fact]
    public void Time_add_date_normalises_like_go()
    {
        Value? AddDate(long y, long m, long d) => Builtin("time.add_date", N(Ns), N(y), N(m), N(d));
        Assert.Equal(N(Ns), AddDate(0, 0, 0));
        Assert.Equal(N(1735066725734390000), AddDate(1, 0, 0));
        Assert.Equal(N(-190011674265610000), AddDate(-60, 0, 0));
        Assert.Null(AddDate(2147483647, 0, 0));
        Assert.Null(AddDate(-2147483647, 0, 0));
        Assert.Equal(N(1742842725734390000), AddDate(0, 15, 0));
        Assert.Equal(N(1653418725734390000), AddDate(0, -19, 0));
        Assert.Equal(N(1706641125734390000), AddDate(0, 0, 37));
        Assert.Equal(N(8441261925734390000), AddDate(213, 6, 5));
        Assert.Equal(N(-5034459674265610000), AddDate(-213, -6, -5));
        Assert.Equal(N(2049476325734390000), AddDate(10, 14, -75));
        Assert.Equal("`time.add_date` expects `ns` to be a `number` or `array[number, string]`. Got `\"1703444325734390000\"` instead",
            Fails("time.add_date", S("1703444325734390000"), N(0), N(0), N(0)));
    }

    [Fact]
    public void Time_clock_date_weekday_diff_in_zones()
    {
        Is("[18, 58, 45]", Builtin("time.clock", N(Ns)));
        Is("[18, 58, 45]", Builtin("time.clock", A(N(Ns), S(""))));
        Is("[19, 58, 45]", Builtin("time.clock", A(N(Ns), S("CET"))));
        Assert.NotNull(Builtin("time.clock", A(N(Ns), S("Local"))));
        Is("[2023, 12, 24]", Builtin("time.date", N(Ns)));
        Assert.Equal(S("Sunday"), Builtin("time.weekday", N(Ns)));
        Is("[14, 1, 13, 19, 58, 45]", Builtin("time.diff", N(Ns), N(1257894000000000000)));
        Is("[14, 1, 13, 19, 58, 45]", Builtin("time.diff", A(N(1257894000000000000), S("UTC")), A(N(Ns), S(""))));
        var feb = Builtin("time.parse_ns", S("2006-01-02"), S("2020-02-02"))!;
        var mar = Builtin("time.parse_ns", S("2006-01-02"), S("2020-03-01"))!;
        Is("[0, 0, 28, 0, 0, 0]", Builtin("time.diff", feb, mar));
        Assert.StartsWith("`time.clock` expects `ns`", Fails("time.clock", S("1")), StringComparison.Ordinal);
    }

    [Fact]
    public void Time_parse_and_format_use_go_layouts()
    {
        Assert.Equal(N(Ns), Builtin("time.parse_rfc3339_ns", S("2023-12-24T18:58:45.73439Z")));
        Assert.Equal(N(Ns), Builtin("time.parse_rfc3339_ns", S("2023-12-24T19:58:45.73439+01:00")));
        Assert.Equal(N(1136214245000000000), Builtin("time.parse_ns", S("Mon Jan _2 15:04:05 MST 2006"), S("Mon Jan  2 15:04:05 UTC 2006")));
        Assert.Equal(N(1136239445000000000), Builtin("time.parse_ns", S("01/02 03:04:05PM '06 -0700"), S("01/02 03:04:05PM '06 -0700")));
        Assert.Contains("cannot parse", Fails("time.parse_ns", S("2006-01-02"), S("2020-1-x")), StringComparison.Ordinal);
        Assert.Equal(S("2023-12-24T18:58:45.73439Z"), Builtin("time.format", N(Ns)));
        Assert.Equal(S("2023-12-24T19:58:45.73439+01:00"), Builtin("time.format", A(N(Ns), S("CET"))));
        Assert.Equal(S("Sun Dec 24 6:58PM 2023"), Builtin("time.format", A(N(Ns), S("UTC"), S("Mon Jan 2 3:04PM 2006"))));
        Assert.Equal(N(Call.Now.ToUnixTimeMilliseconds() * 1_000_000), Builtin("time.now_ns"));
    }

    [Fact]
    public void Durations_parse_like_go()
    {
        Assert.Equal(N(3600000000000), Builtin("time.parse_duration_ns", S("1h")));
        Assert.Equal(N(15000000), Builtin("time.parse_duration_ns", S("15ms")));
        Assert.Equal(N(3973320015001), Builtin("time.parse_duration_ns", S("1h6m13.3s20ms15µs1ns")));
        Assert.Equal(N(4320020215056), Builtin("time.parse_duration_ns", S("1.2h20.2ms15µs56ns")));
        Assert.Equal(N(45793000000), Builtin("time.parse_duration_ns", S("45.67s123ms")));
        Assert.Equal(N(15000001), Builtin("time.parse_duration_ns", S("15.000001ms")));
        Assert.Equal(N(-90000000000), Builtin("time.parse_duration_ns", S("-1m30s")));
        Assert.Equal("`time.parse_duration_ns` expects string argument. Got `100` instead", Fails("time.parse_duration_ns", N(100)));
        Assert.Contains("invalid duration", Fails("time.parse_duration_ns", S("1x")), StringComparison.Ordinal);
    }

    [Fact]
    public void Glob_match_with_and_without_delimiters()
    {
        bool Match(string pattern, Value delimiters, string text) => Builtin("glob.match", S(pattern), delimiters, S(text)) == Value.True;
        Assert.True(Match("api://*/appId", Value.Null, "api://foo.com/appId"));
        Assert.True(Match("*.github.com", A(), "api.github.com"));
        Assert.False(Match("*.github.com", A(), "api.cdn.github.com"));
        Assert.True(Match("*hub.com", Value.Null, "api.cdn.github.com"));
        Assert.True(Match("*:github:com", A(S(":")), "api:github:com"));
        Assert.True(Match("api.**.com", A(), "api.cdn.github.com"));
        Assert.True(Match("?at", A(), "cat"));
        Assert.False(Match("?at", A(), "at"));
        Assert.True(Match("[abc]at", A(), "bat"));
        Assert.False(Match("[abc]at", A(), "lat"));
        Assert.False(Match("[!abc]at", A(), "cat"));
        Assert.True(Match("[!a-c]at", A(), "lat"));
        Assert.True(Match("{cat,bat,[fr]at}", A(), "rat"));
        Assert.False(Match("{cat,bat,[fr]at}", A(), "at"));
        Assert.Equal(S("\\*.github.com"), Builtin("glob.quote_meta", S("*.github.com")));
    }

    [Fact]
    public void Regex_uses_re2_semantics()
    {
        Assert.Equal(Value.True, Builtin("regex.match", S("^[a-z]+\\d$"), S("abc1")));
        Assert.Equal(Value.False, Builtin("regex.match", S("^abc$"), S("abc\n")));
        Assert.Equal(Value.False, Builtin("regex.match", S("\\d"), S("٣")));
        Assert.Equal(Value.True, Builtin("regex.match", S("[[:alpha:]]+"), S("x")));
        Assert.Equal(Value.False, Builtin("regex.is_valid", S("(a")));
        Assert.Equal(Value.False, Builtin("regex.is_valid", S("(a)\\1")));
        Assert.Equal(Value.False, Builtin("regex.is_valid", S("a(?=b)")));
        Assert.Equal(Value.False, Builtin("regex.is_valid", N(1)));
        Assert.Contains("error parsing regexp", Fails("regex.match", S("(a"), S("a")), StringComparison.Ordinal);
        Is("""["a","b","c"]""", Builtin("regex.split", S(",\\s*"), S("a, b,c")));
        Is("""["1","2"]""", Builtin("regex.find_n", S("[0-9]"), S("a1b2c3"), N(2)));
        Is("""[["a1","a","1"],["b2","b","2"]]""", Builtin("regex.find_all_string_submatch_n", S("(?P<l>[a-z])([0-9])"), S("a1b2"), N(-1)));
        Assert.Equal(S("1a-2b"), Builtin("regex.replace", S("a1-b2"), S("(?P<l>[a-z])([0-9])"), S("${2}$l")));
        Is("""["","aaa",""]""", Builtin("regex.find_n", S("a*"), S("baaac"), N(-1)));
    }

    [Fact]
    public void Semver_uuid_crypto_jwt_net()
    {
        Is("[true, true, false, true]", A(
            Builtin("semver.is_valid", S("1.9.10"))!, Builtin("semver.is_valid", S("1.8.15"))!, Builtin("semver.is_valid", S("1.1"))!, Builtin("semver.is_valid", S("1.1.12-rc1+foo"))!));
        Assert.Equal(N(1), Builtin("semver.compare", S("1.9.10"), S("1.8.15")));
        Assert.Equal(N(-1), Builtin("semver.compare", S("1.0.0-alpha"), S("1.0.0")));
        Assert.Equal(N(-1), Builtin("semver.compare", S("1.0.0-alpha.1"), S("1.0.0-alpha.beta")));
        Assert.Contains("expects string argument", Fails("semver.compare", S(""), N(1)), StringComparison.Ordinal);
        Assert.Contains("expects string argument", Fails("semver.is_valid", N(1)), StringComparison.Ordinal);

        var context = new Soma.Policy.Rego.Builtins.BuiltinContext(Call.Now);
        var id = (StringValue)Builtin(context, "uuid.rfc4122", S("1"))!;
        Assert.Equal(36, id.Value.Length);
        Assert.Equal(id, Builtin(context, "uuid.rfc4122", S("1")));
        Assert.NotEqual(id, Builtin(context, "uuid.rfc4122", S("2")));
        Is("""{"variant":"RFC4122","version":4}""", Builtin("uuid.parse", id));
        Assert.Null(Builtin("uuid.parse", S("nope")));
        Assert.Equal("`uuid.rfc4122` expects string argument. Got `42` instead", Fails("uuid.rfc4122", N(42)));

        Assert.Equal(S("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"), Builtin("crypto.sha256", S("hello")));
        Assert.Equal(S("5d41402abc4b2a76b9719d911017c592"), Builtin("crypto.md5", S("hello")));
        Assert.Equal(S("f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"), Builtin("crypto.hmac.sha256", S("The quick brown fox jumps over the lazy dog"), S("key")));
        Assert.Equal(Value.True, Builtin("crypto.hmac.equal", S("a"), S("a")));

        const string Token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
        var decoded = (ArrayValue)Builtin("io.jwt.decode", S(Token))!;
        Is("""{"alg":"HS256","typ":"JWT"}""", decoded.Items[0]);
        Is("""{"sub":"1234567890","name":"John Doe","iat":1516239022}""", decoded.Items[1]);
        Assert.Equal(S("49f94ac7044948c78a285d904f87f0a4c7897f7e8f3a4eb2255fda750b2cc397"), decoded.Items[2]);
        Assert.Equal(Value.True, Builtin("io.jwt.verify_hs256", S(Token), S("your-256-bit-secret")));
        Assert.Equal(Value.False, Builtin("io.jwt.verify_hs256", S(Token), S("wrong")));

        Assert.Equal(Value.True, Builtin("net.cidr_contains", S("10.0.0.0/8"), S("10.1.2.3")));
        Assert.Equal(Value.True, Builtin("net.cidr_contains", S("10.0.0.0/8"), S("10.1.0.0/16")));
        Assert.Equal(Value.False, Builtin("net.cidr_contains", S("10.0.0.0/16"), S("10.0.0.0/8")));
        Assert.Equal(Value.True, Builtin("net.cidr_contains", S("2001:db8::/32"), S("2001:db8::1")));
        Assert.Equal(Value.True, Builtin("net.cidr_intersects", S("192.168.0.0/16"), S("192.168.1.0/24")));
        Assert.Equal(Value.False, Builtin("net.cidr_is_valid", S("10.0.0.0/33")));
        Assert.Equal(Set(S("192.168.0.0"), S("192.168.0.1"), S("192.168.0.2"), S("192.168.0.3")), Builtin("net.cidr_expand", S("192.168.0.1/30")));
    }

    [Fact]
    public void Encodings()
    {
        Assert.Equal(S("""{"a":[1,2.5,"\u003c"]}"""), Builtin("json.marshal", J("""{"a":[1,2.5,"<"]}""")));
        Is("""{"a":1}""", Builtin("json.unmarshal", S("""{"a":1}""")));
        Assert.Contains("json.unmarshal", Fails("json.unmarshal", S("{")), StringComparison.Ordinal);
        Assert.Equal(Value.False, Builtin("json.is_valid", S("{")));
        Assert.Equal(S("{\n  \"a\": 1\n}"), Builtin("json.marshal_with_options", J("""{"a":1}"""), J("""{"indent":"  "}""")));
        Assert.Equal(S("aGVsbG8="), Builtin("base64.encode", S("hello")));
        Assert.Equal(S("hello"), Builtin("base64.decode", S("aGVsbG8=")));
        Assert.Equal(Value.False, Builtin("base64.is_valid", S("aGVsbG8")));
        Assert.Equal(S("Pz8-"), Builtin("base64url.encode", S("??>")));
        Assert.Equal(S("aGk"), Builtin("base64url.encode_no_pad", S("hi")));
        Assert.Equal(S("hi"), Builtin("base64url.decode", S("aGk")));
        Assert.Equal(S("6869"), Builtin("hex.encode", S("hi")));
        Assert.Equal(S("hi"), Builtin("hex.decode", S("6869")));
        Assert.Equal(S("a+b%26c%3D%C3%A9"), Builtin("urlquery.encode", S("a b&c=é")));
        Assert.Equal(S("a b&c=é"), Builtin("urlquery.decode", S("a+b%26c%3D%C3%A9")));
        Assert.Equal(S("a=1&b=x&b=y"), Builtin("urlquery.encode_object", J("""{"b":["x","y"],"a":"1"}""")));
        Is("""{"a":["1"],"b":["x","y"]}""", Builtin("urlquery.decode_object", S("a=1&b=x&b=y")));
        Is("""{"a":1,"b":[true,null,"x","1"],"c":2.5}""", Builtin("yaml.unmarshal", S("a: 1\nb: [true, ~, x, \"1\"]\nc: 2.5\n")));
        var yaml = ((StringValue)Builtin("yaml.marshal", J("""{"b":["1",2],"a":"x"}"""))!).Value;
        Is("""{"a":"x","b":["1",2]}""", Builtin("yaml.unmarshal", S(yaml)));
        Assert.Equal(Value.False, Builtin("yaml.is_valid", S("a: [")));
        Assert.Equal(N(12), Builtin("to_number", S("12")));
    }

    [Fact]
    public void Every_builtin_is_registered_once_with_its_arity()
    {
        var names = Soma.Policy.Rego.Builtins.StandardLibrary.All().Select(b => b.Name).ToList();
        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
        Assert.True(names.Count > 130, $"{names.Count} builtins");
    }
}
