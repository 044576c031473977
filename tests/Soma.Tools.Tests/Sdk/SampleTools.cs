using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Soma.Tools.Registry;
using Soma.Tools.Sdk;

namespace Soma.Tools.Tests.Sdk;

/// <summary>How a sample measures.</summary>
public enum Units
{
    Metric,
    Imperial,
    [JsonStringEnumMemberName("kelvin")]
    Kelvin,
}

/// <summary>Tools written with the SDK that use every kind of parameter and return type it supports.</summary>
/// <param name="prefix">Put before what <see cref="Greet"/> says (an instance tool gets its type from the container).</param>
public sealed partial class SampleTools(SampleGreeting prefix)
{
    /// <summary>Echoes every argument it was given as JSON.</summary>
    /// <param name="context">The call.</param>
    /// <param name="text">Some text.</param>
    /// <param name="flag">A yes or no.</param>
    /// <param name="count">How many, 1 to 10.</param>
    /// <param name="big">A large whole number.</param>
    /// <param name="ratio">A share from 0 to 1.</param>
    /// <param name="price">An exact amount.</param>
    /// <param name="units">The <paramref name="units"/> to measure in.</param>
    /// <param name="tags">One to three tags.</param>
    /// <param name="numbers">Some numbers.</param>
    /// <param name="choices">Units to choose from.</param>
    /// <param name="code">Lower-case letters only.</param>
    /// <param name="maybe">A number, or nothing.</param>
    /// <param name="limit">At most this many.</param>
    /// <param name="fallback">Units when others fail.</param>
    /// <param name="greeting">What to say first.</param>
    /// <param name="weight">A weight over 0, up to 100.</param>
    /// <param name="cancellationToken">Stops the call.</param>
    /// <returns>The arguments as bound, as JSON.</returns>
    [Tool("test.kinds", Risk = "medium", Sandboxed = true)]
    public static string Kinds(
        ToolContext context,
        [StringLength(20, MinimumLength = 2)] string text,
        bool flag,
        [Range(1, 10)] int count,
        long big,
        [Range(0.0, 1.0)] double ratio,
        decimal price,
        Units units,
        [MinLength(1), MaxLength(3)] string[] tags,
        List<int> numbers,
        IReadOnlyList<Units> choices,
        [RegularExpression("[a-z]+")] string? code = null,
        int? maybe = null,
        int limit = 5,
        Units fallback = Units.Kelvin,
        string greeting = "hi",
        [Range(typeof(decimal), "0", "100", MinimumIsExclusive = true)] decimal weight = 1.5m,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        cancellationToken.ThrowIfCancellationRequested();
        return JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["tenant"] = context.TenantId,
            ["text"] = text,
            ["flag"] = flag,
            ["count"] = count,
            ["big"] = big,
            ["ratio"] = ratio,
            ["price"] = price,
            ["units"] = units.ToString(),
            ["tags"] = tags,
            ["numbers"] = numbers,
            ["choices"] = choices.Select(c => c.ToString()).ToList(),
            ["code"] = code,
            ["maybe"] = maybe,
            ["limit"] = limit,
            ["fallback"] = fallback.ToString(),
            ["greeting"] = greeting,
            ["weight"] = weight,
        });
    }

    /// <summary>Greets someone.</summary>
    /// <param name="name">Who.</param>
    /// <param name="cancellationToken">Stops the call.</param>
    [Tool("test.greet")]
    public async Task<string> Greet([StringLength(40, MinimumLength = 1)] string name, CancellationToken cancellationToken)
    {
        await Task.Yield();
        cancellationToken.ThrowIfCancellationRequested();
        return name == "nobody" ? throw new ToolFailureException("test.nobody", "Nobody cannot be greeted.") : $"{prefix.Text}, {name}!";
    }

    /// <summary>Divides two numbers.</summary>
    /// <param name="dividend">What is divided.</param>
    /// <param name="divisor">What it is divided by.</param>
    [Tool("test.divide")]
    public static ValueTask<ToolResult> Divide(double dividend, double divisor) =>
        ValueTask.FromResult(divisor == 0
            ? ToolResult.Failed("test.division_by_zero", "The divisor is 0.")
            : new ToolResult((dividend / divisor).ToString(CultureInfo.InvariantCulture)));

    /// <summary>Counts from 1, a line at a time.</summary>
    /// <param name="upTo">Where to stop, 1 to 5.</param>
    /// <param name="failAt">Fail on reaching this number (0: never).</param>
    /// <param name="cancellationToken">Stops the count.</param>
    [Tool("test.count")]
    public static async IAsyncEnumerable<string> Count([Range(1, 5)] int upTo, int failAt = 0, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        for (var i = 1; i <= upTo; i++)
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            if (i == failAt)
            {
                throw new ToolFailureException("test.count_failed", $"Failed at {i}.");
            }

            yield return $"{i}\n";
        }
    }
}

/// <summary>A service the instance tool depends on, from the container.</summary>
/// <param name="Text">The greeting.</param>
public sealed record SampleGreeting(string Text);
