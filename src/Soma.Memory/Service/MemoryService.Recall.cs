using Microsoft.Extensions.Logging;
using Soma.Core.Memory;

namespace Soma.Memory.Service;

// Recall by words, by meaning, and both fused. The score keeps its promise of 0..1 in every mode:
//   score = 0.8 · relevance + 0.2 · recency        recency = 7 / (7 + age_days), as in MemoryScore
// where relevance is, by mode:
//   text    the store's own (BM25 or ts_rank, squashed into 0..1);
//   vector  (similarity − floor) / (1 − floor), the model's cosine above its match floor;
//   hybrid  rrf:      Σ w / (k + rank) over the two rankings, divided by its best possible value;
//           weighted: TextWeight · text relevance + (1 − TextWeight) · vector relevance;
//           a memory found by words whose vector is not computed yet (just written) counts its words for its meaning
//           too (its meaning rank is its words' rank), so it never loses to older memories for being new.
public sealed partial class MemoryService
{
    private Task<RecallResponse> RecallByTextAsync(RecallRequest request, CancellationToken cancellationToken) =>
        LabelTextAsync(_store.SearchAsync(request, _timeProvider.GetUtcNow(), cancellationToken));

    private static async Task<RecallResponse> LabelTextAsync(Task<RecallResponse> search)
    {
        var response = await search.ConfigureAwait(false);
        return response with { Results = [.. response.Results.Select(r => r with { Match = RecallModes.Text })] };
    }

    private async Task<RecallResponse> RecallByMeaningAsync(RecallRequest request, bool hybrid, CancellationToken cancellationToken)
    {
        // A query without a word finds nothing in any mode: there is nothing to mean.
        if (MemoryText.QueryTerms(request.Query).Count == 0)
        {
            return new RecallResponse([], 0, false);
        }

        var now = _timeProvider.GetUtcNow();
        var candidates = Math.Max(request.TopK, _recall.Candidates);
        var embedder = SearchModel(request.Tenant, request.Namespace);
        IReadOnlyList<Vectors.VectorHit> hits = [];
        var aboveFloor = 0;
        var degraded = !_index!.Loaded;
        float[]? query = null;

        // The words' search runs on another core while this one embeds the query and scans the vectors.
        var textRequest = request with { TopK = Math.Min(candidates, MaxTopK), MinScore = null };
        var text = hybrid
            ? Task.Run(() => _store.SearchAsync(textRequest, now, cancellationToken), cancellationToken)
            : Task.FromResult(new RecallResponse([], 0, false));
        using (var embedding = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            // A hung embedder must not take the words' answer down with it: past this, words answer alone.
            embedding.CancelAfter(TimeSpan.FromMilliseconds(_recall.QueryEmbeddingTimeoutMilliseconds));
            try
            {
                query = (await embedder.EmbedAsync([request.Query], EmbeddingPurpose.Query, embedding.Token).ConfigureAwait(false))[0];
            }
            catch (Exception ex) when (ex is EmbeddingException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                // Words still answer; the caller learns the answer is partial.
                Log.QueryEmbeddingFailed(_logger, embedder.Model, ex);
                degraded = true;
            }
        }

        // Found by words and with no vector yet (not embedded): looked up before the scan, so a vector that lands between
        // the two is either seen by the scan or not at all, never taken for a memory below the floor.
        var textResponse = await text.ConfigureAwait(false);
        IReadOnlySet<string> unembedded = new HashSet<string>();
        if (query is not null)
        {
            if (hybrid)
            {
                unembedded = _index.Missing(request.Tenant, request.Namespace, embedder.Model, textResponse.Results.Select(r => r.Key));
            }

            (hits, aboveFloor) = _index.Search(request.Tenant, request.Namespace, embedder.Model, query, candidates, embedder.MatchFloor);
        }

        var keys = textResponse.Results.Select(r => r.Key).Concat(hits.Select(h => h.Key)).Distinct(StringComparer.Ordinal).ToList();
        if (keys.Count == 0)
        {
            return new RecallResponse([], textResponse.TotalResults, degraded || textResponse.Degraded);
        }

        // Values, last updates and links of every candidate, with the tags filter applied to those found by meaning.
        var memories = (await _vectors!.ReadMemoriesAsync(request.Tenant, request.Namespace, keys, request.Tags, cancellationToken).ConfigureAwait(false))
            .ToDictionary(m => m.Key, StringComparer.Ordinal);

        var textRank = new Dictionary<string, (int Rank, double Score)>(StringComparer.Ordinal);
        for (var i = 0; i < textResponse.Results.Count; i++)
        {
            textRank[textResponse.Results[i].Key] = (i + 1, textResponse.Results[i].Score);
        }

        var vectorRank = new Dictionary<string, (int Rank, double Similarity)>(StringComparer.Ordinal);
        for (var i = 0; i < hits.Count; i++)
        {
            vectorRank[hits[i].Key] = (i + 1, hits[i].Similarity);
        }

        var fused = new List<(RecallResult Result, double TextRelevance, DateTimeOffset UpdatedAt)>(keys.Count);
        foreach (var key in keys)
        {
            if (!memories.TryGetValue(key, out var memory))
            {
                continue;
            }

            var recency = Recency(memory.UpdatedAt, now);
            var inText = textRank.TryGetValue(key, out var t);
            var inVector = vectorRank.TryGetValue(key, out var v);
            var textRelevance = inText ? Math.Clamp((t.Score - (MemoryScore.RecencyWeight * recency)) / MemoryScore.RelevanceWeight, 0, 1) : 0;
            var vectorRelevance = inVector ? Math.Clamp((v.Similarity - embedder.MatchFloor) / (1 - embedder.MatchFloor), 0, 1) : 0;
            var pending = !inVector && unembedded.Contains(key);
            if (pending)
            {
                vectorRelevance = textRelevance;
            }

            double relevance;
            if (!hybrid)
            {
                relevance = vectorRelevance;
            }
            else if (_recall.Fusion == "weighted")
            {
                relevance = (_recall.TextWeight * textRelevance) + ((1 - _recall.TextWeight) * vectorRelevance);
            }
            else
            {
                var k = (double)_recall.RrfK;
                var textPart = inText ? _recall.TextWeight / (k + t.Rank) : 0;
                var vectorPart = inVector ? (1 - _recall.TextWeight) / (k + v.Rank) : pending ? (1 - _recall.TextWeight) / (k + t.Rank) : 0;
                relevance = (textPart + vectorPart) / (1 / (k + 1));
            }

            var score = Math.Clamp((MemoryScore.RelevanceWeight * relevance) + (MemoryScore.RecencyWeight * recency), 0, 1);
            if (request.MinScore is { } min && score < min)
            {
                continue;
            }

            var match = inText && inVector ? RecallModes.Both : inText ? RecallModes.Text : RecallModes.Meaning;
            fused.Add((new RecallResult(key, score, memory.Value, memory.Links) { Match = match }, textRelevance, memory.UpdatedAt));
        }

        var results = fused
            .OrderByDescending(f => f.Result.Score)
            // A tie (the two rankings swapped, as rrf scores them) goes to the memory holding more of the question's words.
            .ThenByDescending(f => f.TextRelevance)
            .ThenByDescending(f => f.UpdatedAt)
            .ThenBy(f => f.Result.Key, StringComparer.Ordinal)
            .Take(request.TopK)
            .Select(f => f.Result)
            .ToList();

        // Matches by words (counted by the store) and by meaning (counted by the scan), those found both ways once.
        var overlap = textRank.Keys.Count(vectorRank.ContainsKey);
        var total = (long)textResponse.TotalResults + aboveFloor - overlap;
        return new RecallResponse(results, (int)Math.Clamp(total, results.Count, int.MaxValue), degraded || textResponse.Degraded);
    }

    /// <summary>
    /// The model a namespace is searched with: the configured one, unless another model this process can embed queries
    /// with has more vectors there (a model change whose new vectors are not all in yet), so recall keeps using the old
    /// vectors until the new ones have caught up. Models never mix within one search.
    /// </summary>
    private IEmbedder SearchModel(string tenant, string @namespace)
    {
        var configured = _embedder!;
        if (_catalog is null)
        {
            return configured;
        }

        var models = _index!.Models(tenant, @namespace);
        models.TryGetValue(configured.Model, out var best);
        var chosen = configured;
        foreach (var (model, count) in models.OrderByDescending(m => m.Value).ThenBy(m => m.Key, StringComparer.Ordinal))
        {
            if (count > best && _catalog.TryGet(model, out var other))
            {
                chosen = other;
                best = count;
            }
        }

        return chosen;
    }

    private static double Recency(DateTimeOffset updatedAt, DateTimeOffset now)
    {
        var ageDays = Math.Max((now - updatedAt).TotalDays, 0);
        return MemoryScore.RecencyHalfLifeDays / (MemoryScore.RecencyHalfLifeDays + ageDays);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = LogEvents.MemoryServiceQueryEmbeddingFailed, Level = LogLevel.Warning, Message = "Recall query could not be embedded with {Model}; answering by words only")]
        public static partial void QueryEmbeddingFailed(ILogger logger, string model, Exception exception);
    }
}
