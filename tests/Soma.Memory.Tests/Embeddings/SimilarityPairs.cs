namespace Soma.Memory.Tests.Embeddings;

/// <summary>
/// Hand-written sentence pairs the match floors are measured on: paraphrases (the same fact in other words, or a question
/// and the memory that answers it) and clearly unrelated pairs. The floor of a model must sit above every unrelated pair
/// and at or below most paraphrases; <see cref="MatchFloorTests"/> prints the figures docs/memory.md quotes.
/// </summary>
internal static class SimilarityPairs
{
    public static readonly (string Document, string Query)[] Paraphrases =
    [
        ("we celebrated Emma turning six with a concert", "what did I say about my daughter's birthday?"),
        ("My flight to Lisbon leaves at 7am on Tuesday", "when does my plane to Portugal depart?"),
        ("I am allergic to peanuts", "which foods should I avoid because of allergies?"),
        ("The car broke down on the highway and had to be towed", "my vehicle stopped working on the motorway"),
        ("I moved to Berlin last spring for a new job", "where did I relocate for work?"),
        ("Our dog Max needs his vaccination next month", "when is the puppy due for his shots?"),
        ("I started learning to play the piano in January", "what instrument am I taking lessons on?"),
        ("My sister is getting married in June", "when is my sibling's wedding?"),
        ("The quarterly tax report is due on Friday", "when do I have to file the taxes for this quarter?"),
        ("I switched to a vegetarian diet two years ago", "do I eat meat?"),
        ("The kitchen sink is leaking and needs a plumber", "there is a water leak under the sink"),
        ("I ran my first marathon in under four hours", "how fast did I finish the long race?"),
        ("My favourite book is a novel about a whale hunt", "which story do I like reading the most?"),
        ("We adopted a kitten from the shelter on Saturday", "did we get a new cat?"),
        ("I have a dentist appointment on Thursday afternoon", "when am I seeing the dentist?"),
        ("The meeting with the client was moved to next week", "the customer call got postponed"),
        ("I lost my wallet on the train yesterday", "where did I misplace my purse?"),
        ("My grandmother taught me how to bake bread", "who showed me how to make a loaf?"),
        ("I prefer tea over coffee in the morning", "what hot drink do I like at breakfast?"),
        ("The laptop screen cracked when it fell off the desk", "my computer display broke after dropping it"),
    ];

    public static readonly (string Document, string Query)[] Unrelated =
    [
        ("we celebrated Emma turning six with a concert", "the quarterly tax report is due on friday"),
        ("My flight to Lisbon leaves at 7am on Tuesday", "how do I reset the router password?"),
        ("I am allergic to peanuts", "the invoice number is missing from the spreadsheet"),
        ("The car broke down on the highway and had to be towed", "what is my favourite colour?"),
        ("I moved to Berlin last spring for a new job", "the tomatoes in the garden need more water"),
        ("Our dog Max needs his vaccination next month", "the database migration failed at step three"),
        ("I started learning to play the piano in January", "how much does the apartment rent cost?"),
        ("My sister is getting married in June", "the printer is out of toner"),
        ("The quarterly tax report is due on Friday", "which hiking boots should I buy?"),
        ("I switched to a vegetarian diet two years ago", "the server certificate expires soon"),
        ("The kitchen sink is leaking and needs a plumber", "who won the chess tournament?"),
        ("I ran my first marathon in under four hours", "the contract needs a signature from legal"),
        ("My favourite book is a novel about a whale hunt", "set an alarm for six tomorrow"),
        ("We adopted a kitten from the shelter on Saturday", "the stock market fell sharply today"),
        ("I have a dentist appointment on Thursday afternoon", "convert this recipe to metric units"),
        ("The meeting with the client was moved to next week", "my bicycle tyre is flat"),
        ("I lost my wallet on the train yesterday", "the quantum physics lecture was about entanglement"),
        ("My grandmother taught me how to bake bread", "the firewall blocks port 443"),
        ("I prefer tea over coffee in the morning", "the election results will be announced tonight"),
        ("The laptop screen cracked when it fell off the desk", "what is the capital of Australia?"),
    ];
}
