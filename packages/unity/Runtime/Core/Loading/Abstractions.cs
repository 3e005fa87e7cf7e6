using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Kiln.Loader.Core
{
    /// <summary>Severity of a <see cref="IKilnLogger"/> message.</summary>
    public enum KilnLogLevel
    {
        Debug,
        Info,
        Warning,
        Error,
    }

    /// <summary>
    /// Where Kiln logs. Messages are prefixed (<c>Kiln:</c>) by the glue and never contain a URL's
    /// query string.
    /// </summary>
    public interface IKilnLogger
    {
        /// <summary>Logs one message.</summary>
        void Log(KilnLogLevel level, string message);
    }

    /// <summary>A logger that drops everything.</summary>
    public sealed class NullKilnLogger : IKilnLogger
    {
        /// <summary>The shared instance.</summary>
        public static readonly NullKilnLogger Instance = new NullKilnLogger();

        /// <inheritdoc />
        public void Log(KilnLogLevel level, string message) { }
    }

    /// <summary>The current time, injected so tests control expiry and LRU order.</summary>
    public interface IClock
    {
        /// <summary>Now, in UTC.</summary>
        DateTimeOffset UtcNow { get; }
    }

    /// <summary>The system clock.</summary>
    public sealed class SystemClock : IClock
    {
        /// <summary>The shared instance.</summary>
        public static readonly SystemClock Instance = new SystemClock();

        /// <inheritdoc />
        public DateTimeOffset UtcNow { get { return DateTimeOffset.UtcNow; } }
    }

    /// <summary>An HTTP GET request the loader asks its transport for.</summary>
    public sealed class TransportRequest
    {
        /// <summary>Absolute URL (may carry a signature: never log it whole).</summary>
        public string Url { get; set; }
        /// <summary>Headers to send (Authorization, custom CDN headers…).</summary>
        public IDictionary<string, string> Headers { get; set; }
        /// <summary>Timeout of the request; zero for none.</summary>
        public TimeSpan Timeout { get; set; }
        /// <summary>Receives download progress in [0, 1]; may be null.</summary>
        public IProgress<float> Progress { get; set; }
    }

    /// <summary>
    /// The outcome of one HTTP request. Transports return failures (connection errors, HTTP
    /// statuses) as values rather than throwing, so the retry policy sees them all.
    /// </summary>
    public sealed class TransportResponse
    {
        /// <summary>HTTP status, or 0 when no response arrived (connection error, timeout).</summary>
        public int Status { get; set; }
        /// <summary>The body (of a 2xx answer).</summary>
        public byte[] Body { get; set; }
        /// <summary>Response headers, case-insensitive names; may be null.</summary>
        public IDictionary<string, string> Headers { get; set; }
        /// <summary>The transport's description of a failure (no URL in it).</summary>
        public string Error { get; set; }
        /// <summary>True when no response arrived because the request timed out.</summary>
        public bool TimedOut { get; set; }

        /// <summary>A header value, or null.</summary>
        public string Header(string name)
        {
            if (Headers == null) return null;
            foreach (var pair in Headers)
            {
                if (string.Equals(pair.Key, name, StringComparison.OrdinalIgnoreCase)) return pair.Value;
            }
            return null;
        }
    }

    /// <summary>HTTP GET, injected: UnityWebRequest in Unity, a fake in tests.</summary>
    public interface ITransport
    {
        /// <summary>Performs the request. Throws <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires.</summary>
        Task<TransportResponse> GetAsync(TransportRequest request, CancellationToken cancellationToken);
    }

    /// <summary>Waiting, injected: frame-based in Unity (works on WebGL), recorded in tests.</summary>
    public interface IDelay
    {
        /// <summary>Completes after <paramref name="delay"/>; throws <see cref="OperationCanceledException"/> when cancelled.</summary>
        Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken);
    }

    /// <summary>
    /// A flat store of blobs under relative paths (<c>ab/abcdef…</c>): the disk under
    /// <c>Application.persistentDataPath</c> in Unity, memory in tests.
    /// </summary>
    public interface IBlobStore
    {
        /// <summary>Reads a blob; false when absent.</summary>
        bool TryRead(string path, out byte[] data);
        /// <summary>Writes a blob atomically (a reader never sees half a file).</summary>
        void Write(string path, byte[] data);
        /// <summary>Deletes a blob; false when absent.</summary>
        bool Delete(string path);
        /// <summary>Every blob path with its size.</summary>
        IEnumerable<KeyValuePair<string, long>> List();
    }
}
