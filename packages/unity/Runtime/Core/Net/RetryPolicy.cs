using System;
using System.Globalization;

namespace Kiln.Loader.Core
{
    /// <summary>What went wrong with one download attempt.</summary>
    public enum FailureKind
    {
        /// <summary>No response: DNS, connection refused or reset, TLS.</summary>
        Network,
        /// <summary>No response in time.</summary>
        Timeout,
        /// <summary>An HTTP answer other than 2xx.</summary>
        Http,
        /// <summary>A 2xx answer whose bytes do not match the manifest's size and SHA-256.</summary>
        Integrity,
    }

    /// <summary>One failed attempt, as the retry policy sees it.</summary>
    public struct DownloadFailure
    {
        /// <summary>The kind of failure.</summary>
        public FailureKind Kind;
        /// <summary>HTTP status for <see cref="FailureKind.Http"/>.</summary>
        public int Status;
        /// <summary>The server's <c>Retry-After</c>, parsed (<see cref="RetryPolicy.ParseRetryAfter"/>), if any.</summary>
        public TimeSpan? RetryAfter;

        /// <summary>An HTTP failure.</summary>
        public static DownloadFailure Http(int status, TimeSpan? retryAfter = null)
        {
            return new DownloadFailure { Kind = FailureKind.Http, Status = status, RetryAfter = retryAfter };
        }

        /// <summary>A failure without an HTTP status.</summary>
        public static DownloadFailure Of(FailureKind kind)
        {
            return new DownloadFailure { Kind = kind };
        }
    }

    /// <summary>What to do after a failed attempt.</summary>
    public enum RetryAction
    {
        /// <summary>Wait <see cref="RetryDecision.Delay"/>, then try again.</summary>
        Retry,
        /// <summary>Ask the host for a fresh URL (presigned URLs expire), then try again at once.</summary>
        RefreshUrl,
        /// <summary>Give up with <see cref="RetryDecision.ErrorCode"/>.</summary>
        Fail,
    }

    /// <summary>The policy's answer.</summary>
    public struct RetryDecision
    {
        /// <summary>What to do.</summary>
        public RetryAction Action;
        /// <summary>How long to wait before the next attempt (<see cref="RetryAction.Retry"/>).</summary>
        public TimeSpan Delay;
        /// <summary>The error code to fail with (<see cref="RetryAction.Fail"/>).</summary>
        public string ErrorCode;
        /// <summary>Why, for logs and messages.</summary>
        public string Reason;
    }

    /// <summary>
    /// How downloads are retried. Pure: it computes decisions and delays, the caller waits and
    /// retries. Defaults mirror <c>@kiln/storage</c>'s <c>RETRY_DEFAULTS</c> (3 attempts, 200 ms base,
    /// 5 s cap) and its full-jitter backoff, a random wait in <c>[0, min(max, base · 2^attempt))</c>.
    /// <list type="bullet">
    /// <item>Retried: connection errors, timeouts, 408, 425, 429, 5xx, and bytes that fail their hash (a bad transfer or a stale edge).</item>
    /// <item>403: the URL is refreshed (at most <see cref="MaxUrlRefreshes"/> times), not waited on; then <c>access_denied</c>.</item>
    /// <item>401 is <c>access_denied</c>, 404 and 410 <c>not_found</c>, any other 4xx <c>download_failed</c>: never retried.</item>
    /// <item>A <c>Retry-After</c> longer than <see cref="MaxRetryAfter"/> is not waited on: the download fails.</item>
    /// </list>
    /// </summary>
    public sealed class RetryPolicy
    {
        readonly Func<double> _random;

        /// <summary>Creates a policy. <paramref name="random"/> returns values in [0, 1); default <c>System.Random</c>.</summary>
        public RetryPolicy(int maxAttempts = 3, TimeSpan? baseDelay = null, TimeSpan? maxDelay = null,
            TimeSpan? maxRetryAfter = null, int maxUrlRefreshes = 1, Func<double> random = null)
        {
            if (maxAttempts < 1) throw new ArgumentOutOfRangeException("maxAttempts", "must be >= 1");
            if (maxUrlRefreshes < 0) throw new ArgumentOutOfRangeException("maxUrlRefreshes", "must be >= 0");
            MaxAttempts = maxAttempts;
            BaseDelay = baseDelay ?? TimeSpan.FromMilliseconds(200);
            MaxDelay = maxDelay ?? TimeSpan.FromSeconds(5);
            MaxRetryAfter = maxRetryAfter ?? TimeSpan.FromSeconds(30);
            MaxUrlRefreshes = maxUrlRefreshes;
            if (BaseDelay < TimeSpan.Zero || MaxDelay < TimeSpan.Zero || MaxRetryAfter < TimeSpan.Zero)
                throw new ArgumentOutOfRangeException("baseDelay", "delays must be >= 0");
            if (random == null)
            {
                var generator = new Random();
                random = generator.NextDouble;
            }
            _random = random;
        }

        /// <summary>Attempts in all, the first included (URL refreshes do not count). Default 3.</summary>
        public int MaxAttempts { get; private set; }
        /// <summary>Base of the exponential backoff. Default 200 ms.</summary>
        public TimeSpan BaseDelay { get; private set; }
        /// <summary>Longest computed wait. Default 5 s.</summary>
        public TimeSpan MaxDelay { get; private set; }
        /// <summary>Longest server-requested wait honoured. Default 30 s.</summary>
        public TimeSpan MaxRetryAfter { get; private set; }
        /// <summary>URL refreshes allowed per download after a 403. Default 1.</summary>
        public int MaxUrlRefreshes { get; private set; }

        /// <summary>
        /// Full-jitter backoff before retry number <paramref name="attempt"/> + 1:
        /// <c>floor(random · min(max, base · 2^attempt))</c> milliseconds.
        /// </summary>
        public TimeSpan BackoffDelay(int attempt)
        {
            if (attempt < 0) throw new ArgumentOutOfRangeException("attempt");
            var ceiling = Math.Min(MaxDelay.TotalMilliseconds, BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 62)));
            var r = _random();
            if (!(r >= 0 && r < 1)) throw new InvalidOperationException("the random source must return values in [0, 1)");
            return TimeSpan.FromMilliseconds(Math.Floor(r * ceiling));
        }

        /// <summary>
        /// Decides what follows a failed attempt.
        /// </summary>
        /// <param name="attempt">0-based number of the attempt that failed (refreshes excluded).</param>
        /// <param name="refreshesUsed">URL refreshes already made for this download.</param>
        /// <param name="failure">What went wrong.</param>
        public RetryDecision Decide(int attempt, int refreshesUsed, DownloadFailure failure)
        {
            if (failure.Kind == FailureKind.Http)
            {
                var status = failure.Status;
                if (status == 403)
                {
                    return refreshesUsed < MaxUrlRefreshes
                        ? new RetryDecision { Action = RetryAction.RefreshUrl, Reason = "HTTP 403: the URL may have expired" }
                        : Fail(ErrorCodes.AccessDenied, "HTTP 403 after " + refreshesUsed + " URL refresh(es)");
                }
                if (status == 401) return Fail(ErrorCodes.AccessDenied, "HTTP 401");
                if (status == 404 || status == 410) return Fail(ErrorCodes.NotFound, "HTTP " + status);
                var transient = status == 408 || status == 425 || status == 429 || (status >= 500 && status <= 599);
                if (!transient) return Fail(ErrorCodes.DownloadFailed, "HTTP " + status);
                if (attempt + 1 >= MaxAttempts) return Fail(ErrorCodes.DownloadFailed, "HTTP " + status + " after " + MaxAttempts + " attempts");
                if (failure.RetryAfter.HasValue)
                {
                    var wait = failure.RetryAfter.Value < TimeSpan.Zero ? TimeSpan.Zero : failure.RetryAfter.Value;
                    if (wait > MaxRetryAfter)
                        return Fail(ErrorCodes.DownloadFailed, "HTTP " + status + " asks to retry after " + wait.TotalSeconds.ToString(CultureInfo.InvariantCulture) + " s, more than the " + MaxRetryAfter.TotalSeconds.ToString(CultureInfo.InvariantCulture) + " s allowed");
                    return new RetryDecision { Action = RetryAction.Retry, Delay = wait, Reason = "HTTP " + status + " with Retry-After" };
                }
                return new RetryDecision { Action = RetryAction.Retry, Delay = BackoffDelay(attempt), Reason = "HTTP " + status };
            }
            var what = failure.Kind == FailureKind.Integrity ? "integrity check failed" : failure.Kind == FailureKind.Timeout ? "timed out" : "network error";
            if (attempt + 1 >= MaxAttempts)
            {
                return Fail(failure.Kind == FailureKind.Integrity ? ErrorCodes.IntegrityMismatch : ErrorCodes.DownloadFailed,
                    what + " after " + MaxAttempts + " attempts");
            }
            return new RetryDecision { Action = RetryAction.Retry, Delay = BackoffDelay(attempt), Reason = what };
        }

        static RetryDecision Fail(string code, string reason)
        {
            return new RetryDecision { Action = RetryAction.Fail, ErrorCode = code, Reason = reason };
        }

        /// <summary>
        /// Parses a <c>Retry-After</c> header: delay-seconds or an HTTP-date (RFC 9110), relative to
        /// <paramref name="now"/>. Null when absent or malformed; a date in the past is zero.
        /// </summary>
        public static TimeSpan? ParseRetryAfter(string header, DateTimeOffset now)
        {
            if (string.IsNullOrEmpty(header)) return null;
            var value = header.Trim();
            long seconds;
            if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out seconds))
                return TimeSpan.FromSeconds(Math.Min(seconds, (long)TimeSpan.MaxValue.TotalSeconds - 1));
            DateTimeOffset date;
            if (DateTimeOffset.TryParseExact(value, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out date))
            {
                var delta = date - now;
                return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
            }
            return null;
        }
    }
}
