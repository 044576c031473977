using Soma.Server.Dev;

namespace Soma.Gateway.Tests.Conversations;

/// <summary>
/// Two models on one loopback <see cref="DevModelServer"/>, told apart by model id: <c>primary</c> (tried first, 5 s
/// timeout) and <c>secondary</c>. Scripted failures are queued for the primary's model id only.
/// </summary>
public sealed class TwoModels : IAsyncDisposable
{
    public const string PrimaryId = "primary-model";
    public const string SecondaryId = "secondary-model";

    // Long enough that a cold first call on a loaded machine reaches the model before it runs out (at 1 s one did not,
    // and the turn fell back without the primary ever seeing it); a scripted slow first byte waits longer than this.
    public const int PrimaryTimeoutSeconds = 5;

    private TwoModels(DevModelServer model, RunningServer server)
    {
        Model = model;
        Server = server;
    }

    public DevModelServer Model { get; }

    public RunningServer Server { get; }

    public int PrimaryCalls => Model.Requests.Count(r => r.Model == PrimaryId);

    public int SecondaryCalls => Model.Requests.Count(r => r.Model == SecondaryId);

    public static async Task<TwoModels> StartAsync(int breakerFailures)
    {
        var model = await DevModelServer.StartAsync(new DevModelServerOptions());
        var configuration = Conversation.Model("primary", model, PrimaryId, timeoutSeconds: PrimaryTimeoutSeconds);
        foreach (var (key, value) in Conversation.Model("secondary", model, SecondaryId))
        {
            configuration[key] = value;
        }

        configuration["Soma:Models:Fallback:0"] = "primary";
        configuration["Soma:Models:Fallback:1"] = "secondary";
        configuration["Soma:Models:BreakerFailures"] = breakerFailures.ToString(System.Globalization.CultureInfo.InvariantCulture);
        configuration["Soma:Models:BreakerSeconds"] = "600";
        configuration["Soma:Orchestration:PollMilliseconds"] = "20";
        try
        {
            return new TwoModels(model, await RunningServer.StartAsync(configuration));
        }
        catch
        {
            await model.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        await Model.DisposeAsync();
    }
}
