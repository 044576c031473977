using Soma.Gateway.Auth.Keys;
using Soma.Testing;

namespace Soma.Gateway.Tests.Auth;

/// <summary>A key folder that cannot serve stops the start, naming why, instead of a server that refuses every token.</summary>
public sealed class KeySourceStartTests
{
    [Fact]
    public async Task A_server_on_an_empty_key_folder_does_not_start_and_says_it_holds_no_key()
    {
        // A Kubernetes Secret not filled in yet, or mounted at the wrong place: the folder exists and is empty.
        using var folder = new TempDirectory("soma-keys-empty");
        var failure = await Assert.ThrowsAsync<KeySourceException>(() => RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Soma:Auth:Keys:Source"] = "Directory",
            ["Soma:Auth:Keys:Directory"] = folder.Path,
        }));
        Assert.Contains("holds no signing or verification key", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_on_a_missing_key_folder_does_not_start_and_names_the_folder()
    {
        using var parent = new TempDirectory("soma-keys-missing");
        var missing = Path.Combine(parent.Path, "keys");
        var failure = await Assert.ThrowsAsync<KeySourceException>(() => RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["Soma:Auth:Keys:Source"] = "Directory",
            ["Soma:Auth:Keys:Directory"] = missing,
        }));
        Assert.Contains(missing, failure.Message, StringComparison.Ordinal);
    }
}
