using System.Text.Json;

namespace Soma.Benchmarks;

/// <summary>
/// The shipped long-conversation dataset (<c>Data/conversations.json</c>, written for this benchmark; see
/// <c>Data/README.md</c>): sessions between one user and an assistant per persona, and questions whose answers sit in
/// known turns (their evidence).
/// </summary>
internal sealed record RecallDataset(
    string Name,
    int Version,
    string Description,
    string Licence,
    IReadOnlyList<RecallPersona> Personas,
    IReadOnlyList<RecallSession> Sessions,
    IReadOnlyList<RecallQuestion> Questions)
{
    /// <summary>The least the dataset must hold (issue 16: several hundred turns, many sessions, paraphrased questions).</summary>
    public const int MinSessions = 30;

    /// <inheritdoc cref="MinSessions" />
    public const int MinPersonas = 6;

    /// <inheritdoc cref="MinSessions" />
    public const int MinTurns = 600;

    /// <inheritdoc cref="MinSessions" />
    public const int MinQuestions = 200;

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
    };

    /// <summary>Where the build puts the dataset: beside the benchmark's assembly.</summary>
    public static string DefaultPath => Path.Combine(AppContext.BaseDirectory, "Data", "conversations.json");

    /// <summary>Every turn with its session, in order.</summary>
    public IEnumerable<(RecallSession Session, RecallTurn Turn)> Turns =>
        Sessions.SelectMany(session => session.Turns.Select(turn => (session, turn)));

    /// <summary>Reads the dataset; a file that does not parse throws <see cref="JsonException"/> naming the place.</summary>
    public static RecallDataset Load(string path)
    {
        using var stream = File.OpenRead(path);
        return JsonSerializer.Deserialize<RecallDataset>(stream, Json)
            ?? throw new JsonException($"{path} holds no dataset.");
    }

    /// <summary>
    /// What is wrong with the dataset, one line per problem (none when it is sound): ids unique, every question of a
    /// known persona with at least one evidence turn that exists and belongs to that persona, and the counts at least
    /// the minimums.
    /// </summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        var personas = Personas.Select(p => p.Id).ToHashSet(StringComparer.Ordinal);
        if (personas.Count != Personas.Count)
        {
            problems.Add("persona ids are not unique");
        }

        var turnPersona = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (session, turn) in Turns)
        {
            if (!personas.Contains(session.Persona))
            {
                problems.Add($"session {session.Id} names unknown persona '{session.Persona}'");
            }

            if (turn.Speaker is not ("user" or "assistant"))
            {
                problems.Add($"turn {turn.Id} has speaker '{turn.Speaker}' (user or assistant)");
            }

            if (string.IsNullOrWhiteSpace(turn.Text))
            {
                problems.Add($"turn {turn.Id} has no text");
            }

            if (!turnPersona.TryAdd(turn.Id, session.Persona))
            {
                problems.Add($"turn id {turn.Id} is used twice");
            }
        }

        if (Sessions.Select(s => s.Id).Distinct(StringComparer.Ordinal).Count() != Sessions.Count)
        {
            problems.Add("session ids are not unique");
        }

        if (Questions.Select(q => q.Id).Distinct(StringComparer.Ordinal).Count() != Questions.Count)
        {
            problems.Add("question ids are not unique");
        }

        foreach (var question in Questions)
        {
            if (!personas.Contains(question.Persona))
            {
                problems.Add($"question {question.Id} names unknown persona '{question.Persona}'");
            }

            if (question.Evidence.Count == 0)
            {
                problems.Add($"question {question.Id} has no evidence");
            }

            foreach (var evidence in question.Evidence)
            {
                if (!turnPersona.TryGetValue(evidence, out var owner))
                {
                    problems.Add($"question {question.Id} cites evidence '{evidence}', which is no turn");
                }
                else if (owner != question.Persona)
                {
                    problems.Add($"question {question.Id} of {question.Persona} cites {evidence} of {owner}");
                }
            }
        }

        Minimum(problems, "personas", Personas.Count, MinPersonas);
        Minimum(problems, "sessions", Sessions.Count, MinSessions);
        Minimum(problems, "turns", turnPersona.Count, MinTurns);
        Minimum(problems, "questions", Questions.Count, MinQuestions);
        return problems;
    }

    private static void Minimum(List<string> problems, string what, int count, int minimum)
    {
        if (count < minimum)
        {
            problems.Add($"{count} {what}, fewer than {minimum}");
        }
    }
}

/// <summary>One user; their memories go to their own namespace.</summary>
/// <param name="Id">Short id, also the namespace.</param>
/// <param name="Name">Full name.</param>
/// <param name="About">One line about them.</param>
internal sealed record RecallPersona(string Id, string Name, string About);

/// <summary>One conversation on one day.</summary>
/// <param name="Id">e.g. <c>maya-s1</c>.</param>
/// <param name="Persona">The persona's id.</param>
/// <param name="Date">The day, <c>yyyy-MM-dd</c>.</param>
/// <param name="Turns">In order.</param>
internal sealed record RecallSession(string Id, string Persona, string Date, IReadOnlyList<RecallTurn> Turns);

/// <summary>One dialog turn.</summary>
/// <param name="Id">e.g. <c>maya-s1-t03</c>; the memory's key.</param>
/// <param name="Speaker"><c>user</c> or <c>assistant</c>.</param>
/// <param name="Text">What was said.</param>
/// <param name="Distractor">True for a turn written to share words with a question it does not answer.</param>
internal sealed record RecallTurn(string Id, string Speaker, string Text, bool Distractor = false);

/// <summary>A question a persona asks later, and the turns that answer it.</summary>
/// <param name="Id">e.g. <c>q001</c>.</param>
/// <param name="Persona">Who asks (the namespace searched).</param>
/// <param name="Question">The question.</param>
/// <param name="Evidence">The ids of the turns that answer it (all are needed when more than one).</param>
/// <param name="AuthorLabel"><c>lexical</c> (written to share key words with its evidence) or <c>paraphrase</c>.</param>
/// <param name="Temporal">True when the question turns on time (when, how long, which season).</param>
/// <param name="SharedWords">The content words it shares with its evidence, as the generator measured them.</param>
internal sealed record RecallQuestion(
    string Id, string Persona, string Question, IReadOnlyList<string> Evidence, string AuthorLabel, bool Temporal, IReadOnlyList<string> SharedWords);
