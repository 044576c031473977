namespace Soma.Benchmarks;

/// <summary>
/// Filler turns for the latency namespace: everyday sentences put together from word lists (who, did what, about what,
/// when, and how it ended), varied enough that full-text search sees a realistic spread of words. Deterministic for a
/// seed.
/// </summary>
internal sealed class RecallFiller(int seed)
{
    private static readonly string[] Openers = ["", "Just so you know,", "Quick update:", "Oh, and", "Also,", "Remind me later:", "Funny thing,", "Ugh,"];

    private static readonly string[] People =
    [
        "my sister", "the neighbour", "our landlord", "my manager", "a friend from school", "the plumber", "my cousin", "the dentist",
        "grandad", "the kids", "my flatmate", "the new intern", "our accountant", "the vet", "my uncle", "the delivery driver",
        "the headteacher", "my running club", "the garage", "an old colleague", "my best friend", "the council", "the bank", "my aunt",
    ];

    private static readonly string[] Deeds =
    [
        "called about", "forgot", "asked me about", "complained about", "fixed", "booked", "cancelled", "recommended", "lent us",
        "brought round", "sent photos of", "argued about", "finally paid for", "lost", "found", "painted", "sold", "ordered",
    ];

    private static readonly string[] Things =
    [
        "the broken dishwasher", "a weekend in the Lake District", "the gas bill", "a new bike", "the parking permit",
        "a recipe for banana bread", "the school trip form", "tickets for the football", "the leaking gutter", "a second-hand sofa",
        "the wedding invitations", "our broadband contract", "a birthday present for Dad", "the garden fence", "the car insurance",
        "a yoga mat", "the spare room", "the book club list", "a puppy training course", "the holiday photos", "the water meter",
        "a flight to Dublin", "the quarterly report", "the noisy boiler", "a jar of homemade chutney", "the office party",
    ];

    private static readonly string[] Times =
    [
        "on Monday", "last night", "this morning", "two weeks ago", "after lunch", "before the holidays", "at the weekend",
        "yesterday", "on the way home", "during the storm", "in the middle of dinner", "first thing today", "back in spring",
    ];

    private static readonly string[] Endings =
    [
        "and I still need to reply.", "which was a relief.", "so we'll see.", "and it cost more than expected.", "but nobody remembered.",
        "and now it's sorted.", "so I'm waiting to hear back.", "which made everyone laugh.", "and I'm not thrilled about it.",
        "so that's one thing off the list.", "and we should talk about it later.", "which took all afternoon.",
    ];

    private readonly Random _random = new(seed);

    /// <summary>The next filler turn, as stored: a speaker and the text.</summary>
    public string Next()
    {
        var speaker = _random.Next(2) == 0 ? "user" : "assistant";
        var opener = Pick(Openers);
        var sentence = $"{Pick(People)} {Pick(Deeds)} {Pick(Things)} {Pick(Times)}, {Pick(Endings)}";
        return opener.Length == 0
            ? $"{speaker}: {char.ToUpperInvariant(sentence[0])}{sentence[1..]}"
            : $"{speaker}: {opener} {sentence}";
    }

    /// <summary>
    /// A unit vector near <paramref name="vector"/> (Gaussian noise of <paramref name="sigma"/> per component, then
    /// normalised), so filler memories that reuse an embedded text's vector are not exact duplicates.
    /// </summary>
    public float[] Near(float[] vector, double sigma)
    {
        ArgumentNullException.ThrowIfNull(vector);
        var result = new float[vector.Length];
        double norm = 0;
        for (var i = 0; i < vector.Length; i++)
        {
            // Box-Muller.
            var gaussian = Math.Sqrt(-2 * Math.Log(1 - _random.NextDouble())) * Math.Cos(2 * Math.PI * _random.NextDouble());
            result[i] = (float)(vector[i] + (sigma * gaussian));
            norm += result[i] * (double)result[i];
        }

        var scale = (float)(1 / Math.Sqrt(norm));
        for (var i = 0; i < result.Length; i++)
        {
            result[i] *= scale;
        }

        return result;
    }

    private string Pick(string[] words) => words[_random.Next(words.Length)];
}
