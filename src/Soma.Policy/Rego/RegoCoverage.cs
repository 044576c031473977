namespace Soma.Policy.Rego;

/// <summary>
/// What test coverage counts: the expressions of every rule body (else branches included), by place. The evaluator
/// records the same places in <see cref="EvaluationOptions.Coverage"/> as it evaluates them.
/// </summary>
public static class RegoCoverage
{
    /// <summary>The places of the body expressions of <paramref name="source"/>'s rules.</summary>
    /// <exception cref="RegoException">The module does not parse.</exception>
    public static IReadOnlyList<SourceLocation> Coverable(RegoSource source)
    {
        var module = RegoParser.ParseModule(source);
        var locations = new List<SourceLocation>();
        foreach (var rule in module.Rules)
        {
            Add(rule.Body);
            for (var branch = rule.Else; branch is not null; branch = branch.Next)
            {
                Add(branch.Body);
            }
        }

        return locations;

        void Add(Query? body)
        {
            if (body is not null)
            {
                locations.AddRange(body.Literals.Select(l => l.Location));
            }
        }
    }
}
