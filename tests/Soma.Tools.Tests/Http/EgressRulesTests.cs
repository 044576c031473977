using System.Net;
using System.Text.Json;
using Soma.Tools.Http;

namespace Soma.Tools.Tests.Http;

public sealed class EgressRulesTests
{
    [Theory]
    [InlineData("8.8.8.8", null)]
    [InlineData("93.184.216.34", null)]
    [InlineData("2606:4700:4700::1111", null)]
    [InlineData("127.0.0.1", "loopback (127.0.0.0/8)")]
    [InlineData("127.8.9.10", "loopback (127.0.0.0/8)")]
    [InlineData("10.1.2.3", "private (10.0.0.0/8)")]
    [InlineData("172.31.255.255", "private (172.16.0.0/12)")]
    [InlineData("172.32.0.1", null)]
    [InlineData("192.168.1.1", "private (192.168.0.0/16)")]
    [InlineData("100.100.100.200", "shared address space (100.64.0.0/10)")]
    [InlineData("169.254.169.254", "link-local (169.254.0.0/16)")]
    [InlineData("0.0.0.0", "unspecified (0.0.0.0/8)")]
    [InlineData("224.0.0.1", "multicast (224.0.0.0/4)")]
    [InlineData("255.255.255.255", "broadcast (255.255.255.255)")]
    [InlineData("::1", "loopback (::1)")]
    [InlineData("::", "unspecified (::)")]
    [InlineData("fe80::1", "link-local (fe80::/10)")]
    [InlineData("fd00:ec2::254", "unique-local (fc00::/7)")]
    [InlineData("ff02::1", "multicast (ff00::/8)")]
    [InlineData("::ffff:127.0.0.1", "loopback (127.0.0.0/8) as IPv4-mapped IPv6")]
    [InlineData("::ffff:169.254.169.254", "link-local (169.254.0.0/16) as IPv4-mapped IPv6")]
    [InlineData("::ffff:8.8.8.8", null)]
    [InlineData("::127.0.0.1", "loopback (127.0.0.0/8) as IPv4-compatible IPv6")]
    [InlineData("64:ff9b::a9fe:a9fe", "link-local (169.254.0.0/16) as NAT64 IPv6")]
    [InlineData("2002:7f00:1::", "loopback (127.0.0.0/8) as 6to4 IPv6")]
    public void Addresses_are_classified_by_range_after_unwrapping_ipv4_in_ipv6(string address, string? range) =>
        Assert.Equal(range, EgressAddresses.Classify(IPAddress.Parse(address)).Range);

    [Theory]
    [InlineData("127.0.0.1", false, true)]
    [InlineData("127.0.0.1", true, false)]
    [InlineData("fd00::1", true, false)]
    [InlineData("0.0.0.0", true, true)]
    [InlineData("224.0.0.1", true, true)]
    [InlineData("8.8.8.8", false, false)]
    public void Allow_private_opens_private_ranges_but_never_unspecified_or_multicast(string address, bool allowPrivate, bool refused) =>
        Assert.Equal(refused, EgressAddresses.Refusal(IPAddress.Parse(address), allowPrivate) is not null);

    [Theory]
    [InlineData("example.com", "https://example.com/a", true)]
    [InlineData("example.com", "http://EXAMPLE.com./a", true)]
    [InlineData("example.com", "https://example.com:8443/a", false)]
    [InlineData("example.com", "https://www.example.com/", false)]
    [InlineData("example.com", "https://example.com.evil.net/", false)]
    [InlineData("*.example.com", "https://api.example.com/", true)]
    [InlineData("*.example.com", "https://a.b.example.com/", true)]
    [InlineData("*.example.com", "https://example.com/", false)]
    [InlineData("*.example.com", "https://badexample.com/", false)]
    [InlineData("api.example.com:8443", "https://api.example.com:8443/", true)]
    [InlineData("api.example.com:8443", "https://api.example.com/", false)]
    [InlineData("10.0.0.5:8080", "http://10.0.0.5:8080/", true)]
    [InlineData("[::1]:8080", "http://[0:0::1]:8080/", true)]
    [InlineData("example.com", "http://93.184.216.34/", false)]
    public void Hosts_match_by_name_wildcard_and_port(string granted, string url, bool allowed)
    {
        using var obligations = JsonDocument.Parse(JsonSerializer.Serialize(new { egress = new { hosts = new[] { granted } } }));
        Assert.Equal(allowed, EgressGrant.From(obligations.RootElement).Allows(new Uri(url)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("""{"rate_limit":{"calls_per_minute":5}}""")]
    [InlineData("""{"egress":{}}""")]
    [InlineData("""{"egress":{"hosts":"example.com"}}""")]
    [InlineData("""{"egress":{"hosts":[1, "*", "a*b.com"]}}""")]
    public void No_usable_grant_allows_nothing(string? json)
    {
        using var document = json is null ? null : JsonDocument.Parse(json);
        var grant = EgressGrant.From(document?.RootElement);
        Assert.Empty(grant.Hosts);
        Assert.False(grant.AllowPrivate);
        Assert.False(grant.Allows(new Uri("https://example.com/")));
    }
}
