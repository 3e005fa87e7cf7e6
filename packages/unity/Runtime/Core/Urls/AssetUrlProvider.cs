using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Kiln.Loader.Core
{
    /// <summary>Why the loader asks the host for a new URL.</summary>
    public enum UrlRefreshReason
    {
        /// <summary>The URL's signature expires within the safety margin (read from its query string).</summary>
        Expired,
        /// <summary>The server answered 403: the signature expired early, or was revoked.</summary>
        Forbidden,
    }

    /// <summary>What the host gets when a URL must be refreshed.</summary>
    public sealed class UrlRefreshRequest
    {
        /// <summary>The asset's id.</summary>
        public string AssetId { get; set; }
        /// <summary>The level.</summary>
        public int Level { get; set; }
        /// <summary>The level's storage key: what a backend presigns again.</summary>
        public string Key { get; set; }
        /// <summary>The level's SHA-256: the refreshed URL must serve this content.</summary>
        public string Sha256 { get; set; }
        /// <summary><c>assetId#level@sha256</c>.</summary>
        public string CacheKey { get; set; }
        /// <summary>Why the URL is refreshed.</summary>
        public UrlRefreshReason Reason { get; set; }
        /// <summary>The stale URL, with its signature (do not log it; <see cref="StaleUrlForLog"/> is safe).</summary>
        public string StaleUrl { get; set; }
        /// <summary>The stale URL without query string or fragment.</summary>
        public string StaleUrlForLog { get { return CdnUrl.StripQuery(StaleUrl); } }
    }

    /// <summary>
    /// The host's way to get a fresh URL for an asset level (re-fetch the manifest, or ask its backend
    /// to presign the key again). Returns an absolute http(s) URL.
    /// </summary>
    public delegate Task<string> UrlRefreshCallback(UrlRefreshRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Hands out the URL to fetch for a resolved asset: the manifest's, or a fresher one from the
    /// host's <see cref="UrlRefreshCallback"/> when the manifest's has expired (known from its query
    /// string, see <see cref="PresignedUrl"/>) or was refused with 403. Refreshed URLs are remembered
    /// per cache key until they expire in turn. Logs show URLs without their query string.
    /// </summary>
    public sealed class AssetUrlProvider
    {
        readonly UrlRefreshCallback _refresh;
        readonly IClock _clock;
        readonly IKilnLogger _logger;
        readonly Dictionary<string, string> _fresh = new Dictionary<string, string>(StringComparer.Ordinal);
        readonly object _gate = new object();

        /// <summary>Creates the provider. Without <paramref name="refresh"/>, expired URLs are used as they are and 403 is final.</summary>
        public AssetUrlProvider(UrlRefreshCallback refresh = null, IClock clock = null, TimeSpan? expiryMargin = null, IKilnLogger logger = null)
        {
            _refresh = refresh;
            _clock = clock ?? SystemClock.Instance;
            _logger = logger ?? NullKilnLogger.Instance;
            ExpiryMargin = expiryMargin ?? TimeSpan.FromSeconds(30);
        }

        /// <summary>A URL expiring within this margin counts as expired (covers clock skew and download time). Default 30 s.</summary>
        public TimeSpan ExpiryMargin { get; private set; }
        /// <summary>True when a refresh callback is set.</summary>
        public bool CanRefresh { get { return _refresh != null; } }

        /// <summary>The URL to fetch now: a remembered fresh one, the manifest's, or a refreshed one if that has expired.</summary>
        public async Task<string> GetUrlAsync(ResolvedAsset asset, CancellationToken cancellationToken)
        {
            if (asset == null) throw new ArgumentNullException("asset");
            string url;
            lock (_gate)
            {
                if (!_fresh.TryGetValue(asset.CacheKey, out url)) url = asset.Url;
            }
            if (_refresh == null || !PresignedUrl.IsExpired(url, _clock.UtcNow, ExpiryMargin)) return url;
            _logger.Log(KilnLogLevel.Info, "url: " + CdnUrl.StripQuery(url) + " for " + asset.CacheKey + " has expired; refreshing");
            return await RefreshAsync(asset, url, UrlRefreshReason.Expired, cancellationToken);
        }

        /// <summary>Asks the host for a new URL after <paramref name="staleUrl"/> failed.</summary>
        /// <exception cref="LoadException"><c>access_denied</c>: no callback, the callback failed, or it returned an invalid or already expired URL.</exception>
        public async Task<string> RefreshAsync(ResolvedAsset asset, string staleUrl, UrlRefreshReason reason, CancellationToken cancellationToken)
        {
            if (asset == null) throw new ArgumentNullException("asset");
            var logUrl = CdnUrl.StripQuery(staleUrl);
            if (_refresh == null)
                throw Denied(asset, "no URL refresh callback is set to replace " + logUrl, null);
            var request = new UrlRefreshRequest
            {
                AssetId = asset.AssetId,
                Level = asset.Level,
                Key = asset.Key,
                Sha256 = asset.Sha256,
                CacheKey = asset.CacheKey,
                Reason = reason,
                StaleUrl = staleUrl,
            };
            string fresh;
            try
            {
                fresh = await _refresh(request, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                throw;
            }
            catch (KilnException)
            {
                throw;
            }
            catch (Exception error)
            {
                throw Denied(asset, "the URL refresh callback failed for " + logUrl + ": " + error.Message, error);
            }
            string problem;
            var normalized = fresh == null ? null : HttpUrl.NormalizeUrl(fresh, out problem);
            if (normalized == null)
                throw Denied(asset, "the URL refresh callback returned " + (fresh == null ? "null" : "an invalid URL") + " for " + logUrl, null);
            if (PresignedUrl.IsExpired(normalized, _clock.UtcNow, ExpiryMargin))
                throw Denied(asset, "the URL refresh callback returned an already expired URL (" + CdnUrl.StripQuery(normalized) + ")", null);
            lock (_gate)
            {
                _fresh[asset.CacheKey] = normalized;
            }
            _logger.Log(KilnLogLevel.Info, "url: refreshed " + asset.CacheKey + " (" + reason + "): " + CdnUrl.StripQuery(normalized));
            return normalized;
        }

        /// <summary>Forgets refreshed URLs (after loading a new manifest).</summary>
        public void Clear()
        {
            lock (_gate)
            {
                _fresh.Clear();
            }
        }

        static LoadException Denied(ResolvedAsset asset, string reason, Exception cause)
        {
            return new LoadException(ErrorCodes.AccessDenied, "url refresh: " + reason,
                new Dictionary<string, object> { { "cacheKey", asset.CacheKey } }, cause);
        }
    }

    /// <summary>A ready-made <see cref="UrlRefreshCallback"/>: reload the manifest (whose URLs the backend presigns afresh) and take the level's new URL.</summary>
    public static class ManifestUrlRefresher
    {
        /// <summary>
        /// Creates the callback. Concurrent refreshes share one reload. The reloaded manifest must list
        /// the same SHA-256 for the level; otherwise the content changed and the caller must resolve the
        /// asset again (<c>asset_changed</c>).
        /// </summary>
        public static UrlRefreshCallback Create(Func<CancellationToken, Task<KilnManifest>> reloadManifest, string cdnBaseUrl = null)
        {
            if (reloadManifest == null) throw new ArgumentNullException("reloadManifest");
            var gate = new object();
            Task<KilnManifest> pending = null;
            return async (request, cancellationToken) =>
            {
                Task<KilnManifest> reload;
                lock (gate)
                {
                    if (pending == null || pending.IsCompleted) pending = reloadManifest(cancellationToken);
                    reload = pending;
                }
                var manifest = await reload;
                var resolved = AssetResolver.Resolve(manifest, request.AssetId, new ResolveOptions { Level = request.Level, CdnBaseUrl = cdnBaseUrl });
                if (!string.Equals(resolved.Sha256, request.Sha256, StringComparison.Ordinal))
                {
                    throw new LoadException(ErrorCodes.AssetChanged,
                        "url refresh: the reloaded manifest lists other content for " + request.CacheKey + " (now " + resolved.CacheKey + "); resolve the asset again",
                        new Dictionary<string, object> { { "cacheKey", request.CacheKey }, { "newCacheKey", resolved.CacheKey } });
                }
                return resolved.Url;
            };
        }
    }
}
