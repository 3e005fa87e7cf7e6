using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Kiln.Loader.Core;
using NUnit.Framework;

namespace Kiln.Loader.Core.Tests
{
    /// <summary>
    /// Base of fixtures that wait on tasks. The core keeps the caller's synchronization context (it
    /// must: it calls back into UnityWebRequest on the main thread), so in Unity's Editor, where the
    /// main thread has a UnitySynchronizationContext, blocking on a task whose continuation was posted
    /// to that thread would deadlock. These tests run without a context, as they do under Mono.
    /// </summary>
    public abstract class AsyncFixture
    {
        SynchronizationContext _saved;

        [SetUp]
        public void ClearSynchronizationContext()
        {
            _saved = SynchronizationContext.Current;
            SynchronizationContext.SetSynchronizationContext(null);
        }

        [TearDown]
        public void RestoreSynchronizationContext()
        {
            SynchronizationContext.SetSynchronizationContext(_saved);
        }
    }

    /// <summary>A clock the test moves by hand.</summary>
    sealed class FakeClock : IClock
    {
        public FakeClock(DateTimeOffset now) { UtcNow = now; }
        public DateTimeOffset UtcNow { get; set; }
        public void Advance(TimeSpan by) { UtcNow = UtcNow + by; }
    }

    /// <summary>Records log lines.</summary>
    sealed class ListLogger : IKilnLogger
    {
        public readonly List<string> Lines = new List<string>();
        public void Log(KilnLogLevel level, string message) { Lines.Add(level + ": " + message); }
        public string All { get { return string.Join("\n", Lines.ToArray()); } }
    }

    /// <summary>Records the waits instead of waiting; completes synchronously.</summary>
    sealed class RecordingDelay : IDelay
    {
        public readonly List<TimeSpan> Delays = new List<TimeSpan>();
        public Action OnDelay;

        public Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
        {
            Delays.Add(delay);
            if (OnDelay != null) OnDelay();
            cancellationToken.ThrowIfCancellationRequested();
            return Task.FromResult(true);
        }
    }

    /// <summary>A transport that answers from a script of responses, in order, and records the requests.</summary>
    sealed class ScriptedTransport : ITransport
    {
        readonly Queue<Func<TransportRequest, TransportResponse>> _script = new Queue<Func<TransportRequest, TransportResponse>>();
        public readonly List<TransportRequest> Requests = new List<TransportRequest>();

        public ScriptedTransport Then(TransportResponse response)
        {
            _script.Enqueue(request => response);
            return this;
        }

        public ScriptedTransport Then(Func<TransportRequest, TransportResponse> respond)
        {
            _script.Enqueue(respond);
            return this;
        }

        public IList<string> Urls { get { return Requests.Select(r => r.Url).ToList(); } }

        public Task<TransportResponse> GetAsync(TransportRequest request, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Requests.Add(request);
            if (_script.Count == 0) throw new InvalidOperationException("unexpected request #" + Requests.Count + " to " + request.Url);
            return Task.FromResult(_script.Dequeue()(request));
        }

        public static TransportResponse Ok(byte[] body) { return new TransportResponse { Status = 200, Body = body }; }
        public static TransportResponse Status(int status) { return new TransportResponse { Status = status, Error = "HTTP/1.1 " + status }; }
        public static TransportResponse NetworkError() { return new TransportResponse { Status = 0, Error = "Cannot connect to destination host" }; }
        public static TransportResponse Timeout() { return new TransportResponse { Status = 0, TimedOut = true, Error = "Request timeout" }; }
    }

    /// <summary>An in-memory blob store that counts writes and deletes.</summary>
    sealed class MemoryBlobStore : IBlobStore
    {
        public readonly Dictionary<string, byte[]> Blobs = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        public int Writes;
        public int Deletes;

        public bool TryRead(string path, out byte[] data)
        {
            byte[] stored;
            if (Blobs.TryGetValue(path, out stored))
            {
                data = (byte[])stored.Clone();
                return true;
            }
            data = null;
            return false;
        }

        public void Write(string path, byte[] data)
        {
            Writes++;
            Blobs[path] = (byte[])data.Clone();
        }

        public bool Delete(string path)
        {
            Deletes++;
            return Blobs.Remove(path);
        }

        public IEnumerable<KeyValuePair<string, long>> List()
        {
            return Blobs.Select(p => new KeyValuePair<string, long>(p.Key, p.Value.LongLength)).ToList();
        }

        public IList<string> BlobPaths { get { return Blobs.Keys.Where(k => k != ContentCache.IndexPath).OrderBy(k => k, StringComparer.Ordinal).ToList(); } }
    }

    /// <summary>Random source that returns a fixed sequence (then repeats the last value).</summary>
    sealed class SequenceRandom
    {
        readonly double[] _values;
        int _next;
        public SequenceRandom(params double[] values) { _values = values; }
        public double Next()
        {
            var value = _values[Math.Min(_next, _values.Length - 1)];
            _next++;
            return value;
        }
    }

    static class Bytes
    {
        public static byte[] Of(string text) { return System.Text.Encoding.UTF8.GetBytes(text); }

        public static byte[] Filled(int length, byte value)
        {
            var data = new byte[length];
            for (var i = 0; i < length; i++) data[i] = value;
            return data;
        }
    }

    static class Run
    {
        /// <summary>Completes a task that the test doubles make synchronous, unwrapping its exception.</summary>
        public static T Sync<T>(Task<T> task)
        {
            if (!task.Wait(TimeSpan.FromSeconds(10))) throw new TimeoutException("the task did not complete");
            return task.Result;
        }

        /// <summary>The exception a task failed with (unwrapped), or null.</summary>
        public static Exception Error(Func<Task> start)
        {
            Task task;
            try
            {
                task = start();
            }
            catch (Exception error)
            {
                return error;
            }
            try
            {
                if (!task.Wait(TimeSpan.FromSeconds(10))) throw new TimeoutException("the task did not complete");
            }
            catch (AggregateException error)
            {
                return error.InnerExceptions.Count == 1 ? error.InnerException : error;
            }
            return null;
        }

        /// <summary>The <see cref="KilnException"/> code the task failed with; fails the test otherwise.</summary>
        public static string Code(Func<Task> start)
        {
            var error = Error(start);
            var kiln = error as KilnException;
            if (kiln == null) throw new NUnit.Framework.AssertionException("expected a KilnException, got " + (error == null ? "success" : error.GetType().Name + ": " + error.Message));
            return kiln.Code;
        }
    }
}
