namespace Soma.Gateway.Tests.Conversations;

/// <summary><see cref="TwoModels"/> whose primary's breaker never opens, so every test sees a plain fallback.</summary>
public sealed class TwoModelsFixture : IAsyncLifetime
{
    public TwoModels Models { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Models = await TwoModels.StartAsync(breakerFailures: 1000);

    public async ValueTask DisposeAsync() => await Models.DisposeAsync();
}
