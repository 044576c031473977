using CsCheck;
using Soma.Policy.Rego;
using Soma.Policy.Rego.Values;

namespace Soma.Policy.Tests.Rego;

public sealed class RegoPropertyTests
{
    [Fact]
    public void Printing_is_stable_and_parses_back_to_an_equal_tree()
    {
        RegoGenerators.Module.Sample(text =>
        {
            var module = RegoParser.ParseModule(new RegoSource("gen.rego", text));
            var printed = RegoPrinter.Print(module);
            var reparsed = RegoParser.ParseModule(new RegoSource("gen.rego", printed));
            var reprinted = RegoPrinter.Print(reparsed);

            // The printer is canonical (every node prints one way), so equal text means equal trees.
            Assert.Equal(printed, reprinted);
            Assert.Equal(module.Rules.Count, reparsed.Rules.Count);
        }, iter: 400, threads: 1);
    }

    [Fact]
    public void Evaluation_throws_nothing_but_RegoException()
    {
        var compiled = 0;
        Gen.Select(RegoGenerators.Module, RegoGenerators.Input).Sample((text, input) =>
        {
            try
            {
                var policy = RegoCompiler.Compile([new RegoSource("gen.rego", text)]);
                compiled++;
                policy.Evaluate("data.test", Value.ParseJson(input));
                policy.Evaluate("data.test.f(1)", Value.ParseJson(input));
            }
            catch (RegoException)
            {
                // Expected for generated policies: unsafe variables, conflicts, type errors.
            }
        }, iter: 400, threads: 1);

        // The generator must produce policies that get past the compiler, or evaluation is not exercised at all.
        Assert.True(compiled >= 30, $"only {compiled} of 400 generated policies compiled");
    }
}
