using System.Diagnostics.Metrics;
using System.Numerics.Tensors;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Soma.Core.Memory;
using Soma.Memory.Embeddings;
using Soma.Memory.Tests.Cache;

namespace Soma.Memory.Tests.Embeddings;

/// <summary>The in-process models, really run on ONNX Runtime: what they give, and the queue and batching in front of them.</summary>
public sealed class InProcessEmbedderTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly List<IDisposable> _owned = [];

    private IMeterFactory Meters => _services.GetRequiredService<IMeterFactory>();

    [Fact]
    public async Task MiniLM_puts_a_paraphrase_closer_than_an_unrelated_text_and_gives_unit_vectors()
    {
        var embedder = Embedder(InProcessModels.MiniLm);

        var memories = await embedder.EmbedAsync(["we celebrated Emma turning six with a concert", "the quarterly tax report is due on friday"], EmbeddingPurpose.Document);
        var query = (await embedder.EmbedAsync(["what did I say about my daughter's birthday?"], EmbeddingPurpose.Query))[0];

        Assert.Equal("all-minilm-l6-v2", embedder.Model);
        Assert.All(memories.Append(query), v => Assert.Equal(384, v.Length));
        Assert.All(memories.Append(query), v => Assert.InRange(TensorPrimitives.Norm(v), 0.999f, 1.001f));
        var paraphrase = TensorPrimitives.Dot(query, memories[0]);
        var unrelated = TensorPrimitives.Dot(query, memories[1]);
        Assert.True(paraphrase > unrelated, $"paraphrase {paraphrase} <= unrelated {unrelated}");
        Assert.True(paraphrase >= embedder.MatchFloor && unrelated < embedder.MatchFloor, $"floor {embedder.MatchFloor}: paraphrase {paraphrase}, unrelated {unrelated}");
    }

    [Fact]
    public async Task Arctic_encodes_a_query_with_its_instruction_and_a_document_without()
    {
        var embedder = Embedder(InProcessModels.ArcticXs);
        const string Text = "what did I say about my daughter's birthday?";

        var asQuery = (await embedder.EmbedAsync([Text], EmbeddingPurpose.Query))[0];
        var asDocument = (await embedder.EmbedAsync([Text], EmbeddingPurpose.Document))[0];
        var instructed = (await embedder.EmbedAsync(["Represent this sentence for searching relevant passages: " + Text], EmbeddingPurpose.Document))[0];

        Assert.True(TensorPrimitives.Dot(asQuery, asDocument) < 0.99f, "the query was encoded like a document");
        Assert.True(TensorPrimitives.Dot(asQuery, instructed) > 0.9999f, "the query was not encoded with arctic's instruction");
    }

    [Fact]
    public async Task MiniLM_encodes_queries_and_documents_alike()
    {
        var embedder = Embedder(InProcessModels.MiniLm);

        var asQuery = (await embedder.EmbedAsync(["my flight to Lisbon"], EmbeddingPurpose.Query))[0];
        var asDocument = (await embedder.EmbedAsync(["my flight to Lisbon"], EmbeddingPurpose.Document))[0];

        Assert.True(TensorPrimitives.Dot(asQuery, asDocument) > 0.9999f);
    }

    [Fact]
    public async Task Concurrent_callers_each_get_their_own_vectors_in_order_while_requests_are_batched_together()
    {
        using var metrics = new MetricRecorder(Meters);
        var embedder = Embedder(InProcessModels.MiniLm, batchSize: 8);
        var texts = Enumerable.Range(0, 60).Select(i => $"note {i}: {Topics[i % Topics.Length]} on day {i * 7 % 31}").ToArray();

        // Requests of 1 to 11 texts (larger than a batch: split across batches), queries and documents mixed, all at once.
        var requests = new List<(string[] Texts, Task<IReadOnlyList<float[]>> Vectors)>();
        for (int start = 0, size = 1; start < texts.Length; start += size, size = size % 11 + 1)
        {
            var slice = texts[start..Math.Min(texts.Length, start + size)];
            requests.Add((slice, embedder.EmbedAsync(slice, requests.Count % 3 == 0 ? EmbeddingPurpose.Query : EmbeddingPurpose.Document)));
        }

        await Task.WhenAll(requests.Select(r => r.Vectors));

        // The same texts one by one, nothing to mix up.
        var alone = new Dictionary<string, float[]>();
        foreach (var text in texts)
        {
            alone[text] = (await embedder.EmbedAsync([text], EmbeddingPurpose.Document))[0];
        }

        foreach (var (slice, task) in requests)
        {
            var vectors = await task;
            Assert.Equal(slice.Length, vectors.Count);
            for (var i = 0; i < slice.Length; i++)
            {
                var best = texts.MaxBy(t => TensorPrimitives.Dot(vectors[i], alone[t]));
                Assert.Equal(slice[i], best);
                Assert.True(TensorPrimitives.Dot(vectors[i], alone[slice[i]]) > 0.999f, $"'{slice[i]}' got a different vector in a batch");
            }
        }

        Assert.InRange(metrics.Max("soma.memory.embedding.batch.size"), 2, 8);
        Assert.Equal(texts.Length * 2, metrics.Sum("soma.memory.embedding.texts", "model", "all-minilm-l6-v2"));
    }

    [Fact]
    public async Task A_recall_query_is_served_before_the_documents_waiting_ahead_of_it()
    {
        var embedder = Embedder(InProcessModels.MiniLm, batchSize: 1);
        var filler = string.Join(' ', Enumerable.Repeat("the garden needs water and the tomatoes need sun", 25));
        var order = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var documents = Enumerable.Range(0, 10).Select(i => embedder.EmbedAsync([$"{i} {filler}"], EmbeddingPurpose.Document)).ToList();
        var tracked = documents.Select((d, i) => Track(d, $"document {i}", order)).ToList();
        var query = embedder.EmbedAsync(["what grows in the garden?"], EmbeddingPurpose.Query);
        tracked.Add(Track(query, "query", order));
        var doneBefore = documents.Count(d => d.IsCompleted);

        await Task.WhenAll(tracked);

        // Submitted last, a FIFO would serve it last; queries first serves it after at most the document already running
        // (normally none had finished when it was submitted: the first waits for the model to load).
        var finished = order.ToList();
        Assert.True(finished.IndexOf("query") <= doneBefore + 1, $"{doneBefore} done before the query; finished in this order: " + string.Join(", ", finished));
    }

    [Fact]
    public async Task A_full_queue_fails_at_once_with_a_transient_error_and_recall_queries_have_their_own_queue()
    {
        using var metrics = new MetricRecorder(Meters);
        using var generator = Generator(InProcessModels.MiniLm, batchSize: 1, queueCapacity: 1);

        // The first request makes the loop load the model (about a second): the rest arrive while it is busy.
        var documents = Enumerable.Range(0, 10).Select(i => generator.GenerateAsync([$"memory {i}"], EmbeddingPurposes.Options(EmbeddingPurpose.Document))).ToList();
        var query = generator.GenerateAsync(["a recall"], EmbeddingPurposes.Options(EmbeddingPurpose.Query));

        // Normally 8 or 9 (one may be in the loop's hands, one waits); at least one however the threads were scheduled.
        var refused = documents.Where(t => t.IsFaulted).ToList();
        Assert.InRange(refused.Count, 1, 9);
        Assert.All(refused, t =>
        {
            var failure = Assert.IsType<EmbeddingException>(t.Exception!.InnerException);
            Assert.True(failure.IsTransient);
            Assert.Contains("queue is full", failure.Message, StringComparison.Ordinal);
        });
        Assert.False(query.IsFaulted, "the document queue being full refused a query");
        Assert.Single(await query);
        foreach (var accepted in documents.Where(t => !t.IsFaulted))
        {
            Assert.Single(await accepted);
        }

        Assert.Equal(refused.Count, metrics.Sum("soma.memory.embedding.failures", "kind", "transient"));
    }

    [Fact]
    public async Task A_model_that_cannot_load_fails_every_request_with_an_error_that_is_not_transient()
    {
        using var generator = Generator(InProcessModels.MiniLm, configure: o => o.OptimizedModelFilePath = "/nonexistent/soma/model.onnx");

        var first = await Assert.ThrowsAsync<EmbeddingException>(() => generator.GenerateAsync(["hello"]));
        var second = await Assert.ThrowsAsync<EmbeddingException>(() => generator.GenerateAsync(["hello again"]));

        Assert.False(first.IsTransient);
        Assert.Contains("all-minilm-l6-v2 could not be loaded", first.Message, StringComparison.Ordinal);
        Assert.Same(first, second);
        Assert.Equal((EmbedderLoadState.Failed, first.Message), (generator.LoadState, generator.LoadProblem));
    }

    [Fact]
    public async Task Loading_in_the_background_readies_the_model_before_any_request_and_the_first_query_finds_it_loaded()
    {
        using var generator = Generator(InProcessModels.MiniLm);
        Assert.Equal(EmbedderLoadState.NotLoaded, generator.LoadState);

        generator.LoadInBackground();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (generator.LoadState != EmbedderLoadState.Loaded && DateTime.UtcNow < deadline)
        {
            Assert.NotEqual(EmbedderLoadState.Failed, generator.LoadState);
            await Task.Delay(20);
        }

        Assert.Equal(EmbedderLoadState.Loaded, generator.LoadState);
        var query = await generator.GenerateAsync(["when is the tax report due"], EmbeddingPurposes.Options(EmbeddingPurpose.Query));
        Assert.Equal(InProcessModels.MiniLm.Profile.Dimensions, query[0].Vector.Length);
    }

    [Fact]
    public async Task Disposing_the_generator_fails_what_waits_as_transient_and_refuses_new_requests()
    {
        var generator = Generator(InProcessModels.MiniLm, batchSize: 1);
        var waiting = Enumerable.Range(0, 5).Select(i => generator.GenerateAsync([$"memory {i}"])).ToList();

        generator.Dispose();

        foreach (var task in waiting)
        {
            // The one running when the loop stopped may finish; the others fail as transient.
            var failure = await Record.ExceptionAsync(() => task);
            Assert.True(failure is null || failure is EmbeddingException { IsTransient: true }, failure?.ToString());
        }

        Assert.Contains(waiting, t => t.IsFaulted);
        var refused = await Assert.ThrowsAsync<EmbeddingException>(() => generator.GenerateAsync(["late"]));
        Assert.True(refused.IsTransient);
    }

    public void Dispose()
    {
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }

        _services.Dispose();
    }

    private static readonly string[] Topics =
    [
        "the dentist moved my appointment", "we booked a cabin by the lake", "the invoice for the roof repair",
        "my daughter learned to ride a bike", "the server ran out of disk", "grandma's apple pie recipe",
        "a flat tyre on the way to work",
    ];

    private static async Task Track(Task task, string name, System.Collections.Concurrent.ConcurrentQueue<string> order)
    {
        await task;
        order.Enqueue(name);
    }

    private Embedder Embedder(InProcessModel model, int batchSize = 32)
    {
        var embedder = new Embedder(Generator(model, batchSize), model.Profile);
        _owned.Add(embedder);
        return embedder;
    }

    private InProcessEmbeddingGenerator Generator(InProcessModel model, int batchSize = 32, int queueCapacity = 256, Action<Microsoft.ML.OnnxRuntime.SessionOptions>? configure = null) =>
        new(model, threads: Environment.ProcessorCount, batchSize, queueCapacity, TimeSpan.FromMinutes(2), Meters, configureSession: configure);
}
