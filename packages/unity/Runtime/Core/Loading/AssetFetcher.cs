using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Kiln.Loader.Core
{
    /// <summary>Options of <see cref="AssetFetcher"/>.</summary>
    public sealed class AssetFetcherOptions
    {
        /// <summary>Headers sent with every request (Authorization, CDN keys…). Default none.</summary>
        public IDictionary<string, string> Headers { get; set; }
        /// <summary>Timeout of one request. Default 60 s; zero for none.</summary>
        public TimeSpan? RequestTimeout { get; set; }
        /// <summary>Retry policy. Default <see cref="RetryPolicy"/>'s defaults.</summary>
        public RetryPolicy Retry { get; set; }
        /// <summary>Verified-content cache; null for none.</summary>
        public ContentCache Cache { get; set; }
        /// <summary>URL provider with the host's refresh callback. Default: no refresh.</summary>
        public AssetUrlProvider Urls { get; set; }
        /// <summary>Clock for <c>Retry-After</c> dates. Default the system clock.</summary>
        public IClock Clock { get; set; }
        /// <summary>Logger. Default none.</summary>
        public IKilnLogger Logger { get; set; }
    }

    /// <summary>
    /// Fetches the bytes of resolved assets: from the content cache when possible, else over the
    /// injected <see cref="ITransport"/> with the <see cref="RetryPolicy"/>, refreshing expired or
    /// refused presigned URLs through the <see cref="AssetUrlProvider"/>, verifying size and SHA-256
    /// before anything is cached or returned. Also fetches manifests. The glue supplies
    /// UnityWebRequest and a frame-based delay; everything else is here, and tested here.
    /// </summary>
    public sealed class AssetFetcher
    {
        readonly ITransport _transport;
        readonly IDelay _delay;
        readonly IDictionary<string, string> _headers;
        readonly TimeSpan _timeout;
        readonly RetryPolicy _retry;
        readonly ContentCache _cache;
        readonly AssetUrlProvider _urls;
        readonly IClock _clock;
        readonly IKilnLogger _logger;

        /// <summary>Creates a fetcher.</summary>
        public AssetFetcher(ITransport transport, IDelay delay, AssetFetcherOptions options = null)
        {
            if (transport == null) throw new ArgumentNullException("transport");
            if (delay == null) throw new ArgumentNullException("delay");
            if (options == null) options = new AssetFetcherOptions();
            _transport = transport;
            _delay = delay;
            _headers = options.Headers ?? new Dictionary<string, string>();
            _timeout = options.RequestTimeout ?? TimeSpan.FromSeconds(60);
            _retry = options.Retry ?? new RetryPolicy();
            _cache = options.Cache;
            _clock = options.Clock ?? SystemClock.Instance;
            _logger = options.Logger ?? NullKilnLogger.Instance;
            _urls = options.Urls ?? new AssetUrlProvider(null, _clock, null, _logger);
        }

        /// <summary>The content cache, or null.</summary>
        public ContentCache Cache { get { return _cache; } }
        /// <summary>The URL provider.</summary>
        public AssetUrlProvider Urls { get { return _urls; } }

        /// <summary>The verified bytes of a resolved asset level.</summary>
        /// <exception cref="LoadException"><c>not_found</c>, <c>access_denied</c>, <c>aborted</c>, <c>download_failed</c>, <c>integrity_mismatch</c>.</exception>
        public async Task<byte[]> FetchAsync(ResolvedAsset asset, IProgress<float> progress, CancellationToken cancellationToken)
        {
            if (asset == null) throw new ArgumentNullException("asset");
            var label = "fetch " + asset.CacheKey;
            ThrowIfCancelled(label, cancellationToken);
            if (_cache != null)
            {
                var cached = _cache.TryGet(asset.Sha256, asset.Bytes);
                if (cached != null)
                {
                    _logger.Log(KilnLogLevel.Debug, label + ": cache hit");
                    if (progress != null) progress.Report(1f);
                    return cached;
                }
            }
            string url;
            try
            {
                url = await _urls.GetUrlAsync(asset, cancellationToken);
            }
            catch (OperationCanceledException error)
            {
                throw Aborted(label, error);
            }
            var data = await DownloadAsync(label, url,
                stale => _urls.RefreshAsync(asset, stale, UrlRefreshReason.Forbidden, cancellationToken),
                bytes => Integrity.Matches(bytes, asset.Sha256, asset.Bytes),
                progress, asset.CacheKey, cancellationToken);
            if (_cache != null)
            {
                try
                {
                    _cache.Put(asset.Sha256, data);
                }
                catch (Exception error)
                {
                    // A full or read-only disk must not fail a load that succeeded.
                    _logger.Log(KilnLogLevel.Warning, label + ": not cached: " + error.Message);
                }
            }
            return data;
        }

        /// <summary>Fetches and reads a manifest (UTF-8, a leading byte order mark ignored).</summary>
        /// <exception cref="LoadException">The download failed (a 403 is final: a manifest URL has no refresh).</exception>
        /// <exception cref="ManifestException">The manifest is invalid or of an unsupported version.</exception>
        public async Task<KilnManifest> FetchManifestAsync(string manifestUrl, CancellationToken cancellationToken, ManifestReadOptions options = null)
        {
            if (manifestUrl == null) throw new ArgumentNullException("manifestUrl");
            string error;
            var url = HttpUrl.NormalizeUrl(manifestUrl, out error);
            if (url == null && !manifestUrl.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
                throw new KilnValidationException("fetchManifest: invalid input: manifestUrl: " + error, new[] { new ValidationIssue("manifestUrl", error) });
            var label = "fetch manifest " + CdnUrl.StripQuery(manifestUrl);
            var data = await DownloadAsync(label, url ?? manifestUrl, null, null, null, null, cancellationToken);
            return ManifestReader.Parse(DecodeUtf8(data), options);
        }

        /// <summary>UTF-8 text of <paramref name="data"/> without a leading byte order mark, as <c>fetch().text()</c> returns it.</summary>
        public static string DecodeUtf8(byte[] data)
        {
            var offset = data.Length >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF ? 3 : 0;
            return Encoding.UTF8.GetString(data, offset, data.Length - offset);
        }

        async Task<byte[]> DownloadAsync(string label, string url, Func<string, Task<string>> refresh, Func<byte[], bool> verify,
            IProgress<float> progress, string cacheKey, CancellationToken cancellationToken)
        {
            var attempt = 0;
            var refreshes = 0;
            while (true)
            {
                ThrowIfCancelled(label, cancellationToken);
                TransportResponse response;
                try
                {
                    response = await _transport.GetAsync(new TransportRequest
                    {
                        Url = url,
                        Headers = _headers,
                        Timeout = _timeout,
                        Progress = progress,
                    }, cancellationToken);
                }
                catch (OperationCanceledException error)
                {
                    throw Aborted(label, error);
                }
                if (response == null) throw new InvalidOperationException("the transport returned no response");

                DownloadFailure failure;
                if (response.Status >= 200 && response.Status <= 299 && response.Body != null)
                {
                    if (verify == null || verify(response.Body))
                    {
                        if (progress != null) progress.Report(1f);
                        _logger.Log(KilnLogLevel.Debug, label + ": " + response.Body.Length + " bytes from " + CdnUrl.StripQuery(url));
                        return response.Body;
                    }
                    failure = DownloadFailure.Of(FailureKind.Integrity);
                }
                else if (response.Status == 0)
                {
                    failure = DownloadFailure.Of(response.TimedOut ? FailureKind.Timeout : FailureKind.Network);
                }
                else
                {
                    failure = DownloadFailure.Http(response.Status, RetryPolicy.ParseRetryAfter(response.Header("Retry-After"), _clock.UtcNow));
                }

                var decision = _retry.Decide(attempt, refreshes, failure);
                if (decision.Action == RetryAction.RefreshUrl && refresh == null)
                    decision = new RetryDecision { Action = RetryAction.Fail, ErrorCode = ErrorCodes.AccessDenied, Reason = "HTTP 403" };
                var where = CdnUrl.StripQuery(url);
                switch (decision.Action)
                {
                    case RetryAction.Retry:
                        _logger.Log(KilnLogLevel.Warning, label + ": " + decision.Reason + " from " + where + "; retry " + (attempt + 1) + " in "
                            + decision.Delay.TotalMilliseconds.ToString(CultureInfo.InvariantCulture) + " ms");
                        try
                        {
                            await _delay.DelayAsync(decision.Delay, cancellationToken);
                        }
                        catch (OperationCanceledException error)
                        {
                            throw Aborted(label, error);
                        }
                        attempt++;
                        break;
                    case RetryAction.RefreshUrl:
                        _logger.Log(KilnLogLevel.Warning, label + ": " + decision.Reason + " (" + where + "); refreshing the URL");
                        try
                        {
                            url = await refresh(url);
                        }
                        catch (OperationCanceledException error)
                        {
                            throw Aborted(label, error);
                        }
                        refreshes++;
                        break;
                    default:
                        var details = new Dictionary<string, object> { { "url", where }, { "attempts", attempt + 1 } };
                        if (cacheKey != null) details["cacheKey"] = cacheKey;
                        if (failure.Kind == FailureKind.Http) details["status"] = failure.Status;
                        var detail = response.Error != null && failure.Kind != FailureKind.Http ? " (" + response.Error + ")" : string.Empty;
                        throw new LoadException(decision.ErrorCode, label + ": " + decision.Reason + detail + ": " + where, details);
                }
            }
        }

        static void ThrowIfCancelled(string label, CancellationToken cancellationToken)
        {
            if (cancellationToken.IsCancellationRequested) throw Aborted(label, null);
        }

        static LoadException Aborted(string label, Exception cause)
        {
            return new LoadException(ErrorCodes.Aborted, label + ": aborted", null, cause);
        }
    }

    /// <summary>Decoders a glTF or texture needs that may be missing from the project.</summary>
    public static class DecoderSupport
    {
        /// <summary>
        /// The texture codecs of <paramref name="asset"/> that need the KTX for Unity package
        /// (<c>com.unity.cloud.ktx</c>) when it is not installed: <c>ktx2-etc1s</c> and <c>ktx2-uastc</c>.
        /// Empty when nothing is missing.
        /// </summary>
        public static IList<string> MissingCodecs(ManifestAsset asset, bool ktxInstalled)
        {
            var missing = new List<string>();
            if (asset == null || ktxInstalled) return missing;
            foreach (var codec in asset.TextureCodecs)
            {
                if (codec.StartsWith("ktx2-", StringComparison.Ordinal) && !missing.Contains(codec)) missing.Add(codec);
            }
            return missing;
        }
    }
}
