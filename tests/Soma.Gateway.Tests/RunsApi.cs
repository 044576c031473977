using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Soma.Gateway.Tests;

/// <summary>Starting runs and waiting for their state through the runs API, for the tests that drive workflows.</summary>
internal static class RunsApi
{
    /// <summary>Starts a run (<c>POST /v1/runs</c> with <paramref name="body"/>) and returns its id.</summary>
    public static async Task<string> StartAsync(HttpClient client, string body)
    {
        var started = await client.PostAsync("/v1/runs", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        return (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("run_id").GetString()!;
    }

    /// <summary>Polls the run until it is in <paramref name="state"/> and returns it; throws after 30 s.</summary>
    public static async Task<JsonElement> WaitForStateAsync(HttpClient client, string runId, string state)
    {
        for (var i = 0; i < 600; i++)
        {
            var run = await client.GetFromJsonAsync<JsonElement>($"/v1/runs/{runId}");
            if (run.GetProperty("state").GetString() == state)
            {
                return run;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"Run {runId} never reached {state}.");
    }
}
