namespace Soma.Server.Tests.Deployment;

/// <summary>
/// The install rehearsal (<see cref="RehearsalScenario"/>): the chart's own manifests, run as local processes against
/// real PostgreSQL and nats-server, get from nothing to an answered chat turn, in both modes of the chart. The time to
/// the first answer is reported (test output and <c>$SOMA_REPORT_DIR/install-rehearsal.md</c>), never asserted.
/// </summary>
public sealed class RehearsalTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("roles")]
    [InlineData("allInOne")]
    public async Task The_charts_manifests_install_and_answer_a_first_chat_turn(string mode)
    {
        var result = await RehearsalScenario.RunAsync(mode, output.WriteLine);

        output.WriteLine(RehearsalReport.Section(result));
        RehearsalReport.Write(result);
        Assert.StartsWith("You said:", result.Answer, StringComparison.Ordinal);
    }
}
