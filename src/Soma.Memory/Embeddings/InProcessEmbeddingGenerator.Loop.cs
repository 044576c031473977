using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using SentenceTransformers;
using Soma.Core.Memory;

namespace Soma.Memory.Embeddings;

/// <summary>The inference loop: one thread, one model, batches coalesced from the two queues.</summary>
internal sealed partial class InProcessEmbeddingGenerator
{
    private void Run()
    {
        var stopping = _stopping.Token;
        try
        {
            Load();
        }
        catch (Exception ex) when (ex is EmbeddingException or OutOfMemoryException)
        {
            // A failure is logged and kept (every request fails with it); out of memory, the first batch tries again.
        }

        var segments = new List<Segment>();
        var texts = new List<string>(_batchSize);
        while (!stopping.IsCancellationRequested)
        {
            segments.Clear();
            texts.Clear();

            // Queries first: a recall waits at most for the batch already running, never behind a drain's backlog.
            Fill(ref _carriedQuery, _queries.Reader, segments, texts);
            Fill(ref _carriedDocument, _documents.Reader, segments, texts);
            if (texts.Count == 0)
            {
                WaitForWork(stopping);
                continue;
            }

            Infer(segments, texts, stopping);
        }
    }

    // Takes texts from the carried request (a large one split across batches), then from the queue, until the batch is full.
    private void Fill(ref Request? carried, ChannelReader<Request> reader, List<Segment> segments, List<string> texts)
    {
        while (texts.Count < _batchSize)
        {
            var request = carried;
            carried = null;
            if (request is null && !reader.TryRead(out request))
            {
                return;
            }

            if (request.Completion.Task.IsCompleted)
            {
                continue; // Its caller gave up (cancelled or timed out).
            }

            var count = Math.Min(request.Texts.Length - request.Next, _batchSize - texts.Count);
            segments.Add(new Segment(request, request.Next, count));
            texts.AddRange(request.Texts.AsSpan(request.Next, count));
            request.Next += count;
            if (request.Next < request.Texts.Length)
            {
                carried = request;
            }
        }
    }

    private void WaitForWork(CancellationToken stopping)
    {
        // Wait on both queues; cancelling the loser's wait afterwards keeps waiters from piling up on an idle queue.
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var queries = _queries.Reader.WaitToReadAsync(wait.Token).AsTask();
        var documents = _documents.Reader.WaitToReadAsync(wait.Token).AsTask();
        try
        {
            // Both loops end on the stopping token themselves; the wait is for the first of them to end, whatever the token.
            Task.WaitAny([queries, documents], CancellationToken.None);
        }
        finally
        {
            wait.Cancel();
        }
    }

    private void Infer(List<Segment> segments, List<string> texts, CancellationToken stopping)
    {
        float[][] vectors;
        var started = Stopwatch.GetTimestamp();
        try
        {
            var encoder = _encoder ?? Load();
            vectors = encoder.Encode([.. texts], stopping);
            if (vectors.Length != texts.Count)
            {
                throw new InvalidOperationException($"the model gave {vectors.Length} vectors for {texts.Count} texts");
            }
        }
        catch (EmbeddingException failure)
        {
            Fail(segments, failure);
            return;
        }
        catch (Exception ex) when (stopping.IsCancellationRequested && ex is OperationCanceledException or OnnxRuntimeException)
        {
            // Stopping terminates the running inference: ONNX Runtime fails it ("terminate flag"), which is the shutdown,
            // not a fault of the texts.
            Fail(segments, ShutDown());
            return;
        }
        catch (Exception ex) when (ex is OnnxRuntimeException or InvalidOperationException or ArgumentException or IndexOutOfRangeException or OutOfMemoryException)
        {
            var requests = segments.Select(s => s.Request).Distinct().Count();
            Log.InferenceFailed(_logger, _model.Profile.Model, texts.Count, requests, ex);

            // With one request in the batch its own text is the cause: retrying will not help. With several, any may be.
            Fail(segments, new EmbeddingException(
                $"The in-process model {_model.Profile.Model} failed to embed a batch: {ex.Message}",
                isTransient: requests > 1 || ex is OutOfMemoryException,
                ex));
            return;
        }

        _metrics.Embedded(texts.Count, Stopwatch.GetElapsedTime(started));
        var offset = 0;
        foreach (var (request, start, count) in segments)
        {
            Array.Copy(vectors, offset, request.Vectors, start, count);
            offset += count;
            request.Missing -= count;
            if (request.Missing == 0)
            {
                request.Completion.TrySetResult(request.Vectors);
            }
        }
    }

    private void Fail(List<Segment> segments, EmbeddingException failure)
    {
        foreach (var request in segments.Select(s => s.Request).Distinct())
        {
            if (request.Completion.TrySetException(failure))
            {
                _metrics.Failed(failure.IsTransient);
            }

            if (ReferenceEquals(request, _carriedQuery))
            {
                _carriedQuery = null;
            }

            if (ReferenceEquals(request, _carriedDocument))
            {
                _carriedDocument = null;
            }
        }
    }

    private ISentenceEncoder Load()
    {
        if (_loadFailure is not null)
        {
            throw _loadFailure;
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            _sessionOptions = new SessionOptions
            {
                IntraOpNumThreads = _threads,
                InterOpNumThreads = 1,
                ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            };

            // Idle inference threads sleep instead of spinning: a spinning pool holds every core for a while after each
            // inference, and a recall's full-text search and vector scan run right after its query's embedding.
            _sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
            _configureSession?.Invoke(_sessionOptions);
            _encoder = _model.Load(_sessionOptions);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The model is inside an assembly of this build: a load that fails once fails every time, so say it once and keep it.
            Log.ModelLoadFailed(_logger, _model.Profile.Model, ex);
            _loadFailure = new EmbeddingException($"The in-process model {_model.Profile.Model} could not be loaded: {ex.Message}", isTransient: false, ex);
            throw _loadFailure;
        }

        if (_logger.IsEnabled(LogLevel.Information))
        {
            var elapsedMs = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            Log.ModelLoaded(_logger, _model.Profile.Model, elapsedMs, _threads);
        }
        return _encoder;
    }
}
