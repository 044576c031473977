using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Soma.Gateway.Auth;
using Soma.Gateway.Auth.Keys;
using Soma.Testing;

namespace Soma.Gateway.Tests.Auth;

/// <summary>
/// The embedded ring lives in the data directory beside the database. The server watches the ring's own file there, not
/// the folder's writes: under load the database writes its log thousands of times a second, and each write used to wake
/// the server and make it read its keys again.
/// </summary>
public sealed class KeyRingWatchTests
{
    [Fact]
    public async Task The_data_dir_ring_is_read_again_when_it_is_replaced_not_when_the_database_beside_it_writes()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var data = new TempDirectory("soma-keys-watch");
        var store = new DataDirKeyStore(Path.Combine(data.Path, "keys.json"), Path.Combine(data.Path, "jwt-hs256.key"), TimeProvider.System);
        store.Load();

        // No poll within the test: only the file watcher can wake a reload.
        using var provider = new KeyRingProvider(
            store,
            Options.Create(new KeyRingOptions { PollInterval = TimeSpan.FromHours(1) }),
            Options.Create(new AuthOptions { Mode = AuthMode.Hs256 }),
            TimeProvider.System,
            NullLogger<KeyRingProvider>.Instance);
        await provider.LoadAtStartAsync(cancellationToken);
        await provider.StartAsync(cancellationToken);
        Assert.Single(provider.Current.Keys);

        // A ring with a second key, written over the file in place (no rename), then the database's log written to
        // beside it for a second: the server does not read the ring again for the database's writes.
        using (var copy = new TempDirectory("soma-keys-watch-copy"))
        {
            File.Copy(Path.Combine(data.Path, "keys.json"), Path.Combine(copy.Path, "keys.json"));
            var other = new DataDirKeyStore(Path.Combine(copy.Path, "keys.json"), Path.Combine(data.Path, "jwt-hs256.key"), TimeProvider.System);
            other.Rotate(SecurityAlgorithms.HmacSha256, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(10));
            await File.WriteAllBytesAsync(Path.Combine(data.Path, "keys.json"), await File.ReadAllBytesAsync(Path.Combine(copy.Path, "keys.json"), cancellationToken), cancellationToken);
        }

        await using (var log = new FileStream(Path.Combine(data.Path, "soma.db-wal"), FileMode.Create, FileAccess.Write, FileShare.ReadWrite))
        {
            var page = new byte[4096];
            for (var i = 0; i < 200; i++)
            {
                await log.WriteAsync(page, cancellationToken);
                await log.FlushAsync(cancellationToken);
                await Task.Delay(5, cancellationToken);
            }
        }

        await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
        Assert.Single(provider.Current.Keys);

        // `soma keys rotate` replaces the ring by a rename: that wakes the reload at once.
        store.Rotate(SecurityAlgorithms.HmacSha256, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(10));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (provider.Current.Keys.Count != 3 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, cancellationToken);
        }

        Assert.Equal(3, provider.Current.Keys.Count);
        await provider.StopAsync(cancellationToken);
    }
}
