using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using GLTFast;
using Kiln.Loader.Core;
using UnityEngine;
using UnityEngine.Networking;

namespace Kiln.Loader
{
    /// <summary>Code-only options of <see cref="KilnLoader"/> (the rest is in <see cref="KilnLoaderSettings"/>).</summary>
    public sealed class KilnLoaderOptions
    {
        /// <summary>
        /// The host's way to get a fresh URL when a presigned one has expired or is refused (re-fetch
        /// the manifest with <see cref="ManifestUrlRefresher"/>, or ask your backend to presign the key).
        /// Without it, an expired URL fails with <c>access_denied</c>.
        /// </summary>
        public UrlRefreshCallback UrlRefresh { get; set; }
        /// <summary>Sees every UnityWebRequest before it is sent (headers, certificate handler…).</summary>
        public Action<UnityWebRequest> ConfigureRequest { get; set; }
        /// <summary>Replaces UnityWebRequest (tests, custom networking).</summary>
        public ITransport Transport { get; set; }
        /// <summary>Replaces the frame-based delay.</summary>
        public IDelay Delay { get; set; }
        /// <summary>Replaces the disk cache folder (any <see cref="IBlobStore"/>).</summary>
        public IBlobStore CacheStore { get; set; }
        /// <summary>Replaces the <c>Debug.Log</c> logger.</summary>
        public IKilnLogger Logger { get; set; }
        /// <summary>Replaces the system clock.</summary>
        public IClock Clock { get; set; }
    }

    /// <summary>What to load: the measure that picks the level, or the level itself.</summary>
    public sealed class LoadRequest
    {
        /// <summary>Camera distance, for assets with distance LODs.</summary>
        public double? Distance { get; set; }
        /// <summary>Screen coverage, for assets with coverage LODs.</summary>
        public double? ScreenCoverage { get; set; }
        /// <summary>Explicit level; bypasses the measures and the platform floor.</summary>
        public int? Level { get; set; }
        /// <summary>Download progress in [0, 1].</summary>
        public IProgress<float> Progress { get; set; }
    }

    /// <summary>
    /// Loads Kiln manifests and instantiates their assets with glTFast: resolve (level, URL, cache key)
    /// in the engine-free core, fetch with retries, URL refresh and SHA-256 verification, cache on disk
    /// by content hash, import from bytes, and share imports between instances with reference counts.
    /// Use one loader for the whole game (<see cref="Shared"/>) so that imports and the cache are shared.
    /// </summary>
    public sealed class KilnLoader : IDisposable
    {
        sealed class ImportHandle
        {
            public GltfImport Import;
            public string Sha256;
        }

        static readonly Dictionary<object, KilnLoader> s_Shared = new Dictionary<object, KilnLoader>();
        static readonly object s_DefaultKey = new object();
        static IDeferAgent s_StableDeferAgent;

        readonly KilnLoaderSettings _settings;
        readonly IKilnLogger _logger;
        readonly AssetFetcher _fetcher;
        readonly ContentCache _cache;
        readonly GltfFastImporter _importer;
        readonly SharedLoads<string, ImportHandle> _imports;

        /// <summary>Creates a loader. Prefer <see cref="Shared"/>.</summary>
        public KilnLoader(KilnLoaderSettings settings = null, KilnLoaderOptions options = null)
        {
            _settings = settings != null ? settings : ScriptableObject.CreateInstance<KilnLoaderSettings>();
            if (options == null) options = new KilnLoaderOptions();
            _logger = options.Logger ?? new UnityKilnLogger(_settings.logLevel);
            var clock = options.Clock ?? SystemClock.Instance;
            _cache = CreateCache(options, clock);
            _fetcher = new AssetFetcher(options.Transport ?? new UnityWebRequestTransport(options.ConfigureRequest), options.Delay ?? UnityFrameDelay.Instance,
                new AssetFetcherOptions
                {
                    Headers = _settings.HeaderDictionary(),
                    RequestTimeout = TimeSpan.FromSeconds(Math.Max(0, _settings.requestTimeoutSeconds)),
                    Retry = _settings.CreateRetryPolicy(),
                    Cache = _cache,
                    Urls = new AssetUrlProvider(options.UrlRefresh, clock, TimeSpan.FromSeconds(Math.Max(0, _settings.urlExpiryMarginSeconds)), _logger),
                    Clock = clock,
                    Logger = _logger,
                });
            var importSettings = new ImportSettings { GenerateMipMaps = _settings.generateMipMaps };
            _importer = new GltfFastImporter(_settings.stableFrameRate ? StableDeferAgent() : new UninterruptedDeferAgent(), importSettings, _logger);
            _imports = new SharedLoads<string, ImportHandle>(handle =>
            {
                handle.Import.Dispose();
                if (_cache != null) _cache.Unpin(handle.Sha256);
            }, StringComparer.Ordinal);
            _logger.Log(KilnLogLevel.Debug, KilnDecoders.Summary());
        }

        /// <summary>
        /// Only self-contained GLB files load from bytes: a <c>.gltf</c> with external buffers or images
        /// would make glTFast request them relative to a URL without its signature.
        /// </summary>
        static void WarnIfNotGlb(ManifestAsset asset, IKilnLogger logger)
        {
            if (!asset.ContentType.StartsWith("model/gltf-binary", StringComparison.OrdinalIgnoreCase))
                logger.Log(KilnLogLevel.Warning, "asset " + asset.Id + " is " + asset.ContentType + ", not model/gltf-binary: only self-contained GLB files are supported");
        }

        /// <summary>The loader for a settings asset (null: defaults), created on first use and shared.</summary>
        public static KilnLoader Shared(KilnLoaderSettings settings = null)
        {
            object key = settings != null ? (object)settings : s_DefaultKey;
            KilnLoader loader;
            if (!s_Shared.TryGetValue(key, out loader))
            {
                loader = new KilnLoader(settings);
                s_Shared[key] = loader;
            }
            return loader;
        }

        /// <summary>Where the disk cache lives by default: <c>Application.persistentDataPath/kiln-cache</c>.</summary>
        public static string DefaultCacheDirectory
        {
            get { return Path.Combine(Application.persistentDataPath, "kiln-cache"); }
        }

        /// <summary>The platform name whose LOD floor applies.</summary>
        public string Platform { get { return _settings.PlatformName(); } }
        /// <summary>The fetcher (manifests and verified bytes).</summary>
        public AssetFetcher Fetcher { get { return _fetcher; } }
        /// <summary>The disk cache, or null when disabled.</summary>
        public ContentCache Cache { get { return _cache; } }
        /// <summary>Imports alive (shared by their instances).</summary>
        public int LiveImports { get { return _imports.Count; } }

        /// <summary>Fetches and reads a manifest.</summary>
        public Task<KilnManifest> LoadManifestAsync(string manifestUrl, CancellationToken cancellationToken)
        {
            return _fetcher.FetchManifestAsync(manifestUrl, cancellationToken);
        }

        /// <summary>Resolves an asset for this loader's platform and CDN override.</summary>
        public ResolvedAsset Resolve(KilnManifest manifest, string assetId, LoadRequest request = null)
        {
            if (request == null) request = new LoadRequest();
            return AssetResolver.Resolve(manifest, assetId, new ResolveOptions
            {
                Distance = request.Distance,
                ScreenCoverage = request.ScreenCoverage,
                Level = request.Level,
                Platform = Platform,
                CdnBaseUrl = CdnOverride(),
            });
        }

        /// <summary>Instantiates the level of an asset that <paramref name="request"/> selects, under <paramref name="parent"/>.</summary>
        /// <exception cref="KilnException">Resolution, download or import failures, with their codes.</exception>
        public async Task<KilnAssetInstance> InstantiateAsync(KilnManifest manifest, string assetId, Transform parent, LoadRequest request, CancellationToken cancellationToken)
        {
            if (request == null) request = new LoadRequest();
            var resolved = Resolve(manifest, assetId, request);
            var asset = manifest.FindAsset(assetId);
            RequireModel(asset);
            WarnMissingDecoders(asset);
            var lease = await AcquireAsync(resolved, request.Progress, cancellationToken);
            var root = new GameObject(assetId);
            root.transform.SetParent(parent, false);
            try
            {
                await InstantiateInto(lease.Value.Import, root.transform, resolved, cancellationToken);
            }
            catch
            {
                UnityEngine.Object.Destroy(root);
                lease.Dispose();
                throw;
            }
            return new KilnAssetInstance(root, asset, new[] { resolved }, new List<Lease<GltfImport>> { Project(lease) }, null);
        }

        /// <summary>
        /// Instantiates every level of an asset (from the platform floor up) under one <c>LODGroup</c>,
        /// with transition heights from the manifest (<see cref="LodGroupPlan"/>). Unity then switches
        /// levels itself; the levels load concurrently.
        /// </summary>
        public async Task<KilnAssetInstance> InstantiateWithLodGroupAsync(KilnManifest manifest, string assetId, Transform parent, CancellationToken cancellationToken, IProgress<float> progress = null)
        {
            var asset = manifest.FindAsset(assetId);
            if (asset == null) Resolve(manifest, assetId); // throws asset_not_found
            RequireModel(asset);
            WarnMissingDecoders(asset);
            var planOptions = new LodGroupPlanOptions
            {
                Platform = Platform,
                FieldOfViewDegrees = _settings.fieldOfViewDegrees,
                CullBelow = _settings.cullBelowScreenHeight,
            };
            var levels = LodGroupPlan.Build(asset, planOptions).Select(e => Resolve(manifest, assetId, new LoadRequest { Level = e.Level })).ToList();
            var reports = new float[levels.Count];
            var tasks = levels.Select((level, i) => AcquireAsync(level, progress == null ? null : new Aggregate(reports, i, progress), cancellationToken)).ToList();
            try
            {
                await Task.WhenAll(tasks);
            }
            catch
            {
                foreach (var task in tasks)
                {
                    if (task.Status == TaskStatus.RanToCompletion) task.Result.Dispose();
                }
                throw;
            }
            var leases = tasks.Select(t => t.Result).ToList();
            var root = new GameObject(assetId);
            root.transform.SetParent(parent, false);
            var levelRoots = new List<GameObject>();
            try
            {
                for (var i = 0; i < levels.Count; i++)
                {
                    var levelRoot = new GameObject("LOD" + levels[i].Level);
                    levelRoot.transform.SetParent(root.transform, false);
                    levelRoots.Add(levelRoot);
                    await InstantiateInto(leases[i].Value.Import, levelRoot.transform, levels[i], cancellationToken);
                }
                planOptions.ObjectSize = LodGroupBuilder.Size(levelRoots[0]);
                var group = LodGroupBuilder.Build(root, LodGroupPlan.Build(asset, planOptions), levelRoots);
                return new KilnAssetInstance(root, asset, levels, leases.Select(Project).ToList(), group);
            }
            catch
            {
                UnityEngine.Object.Destroy(root);
                foreach (var lease in leases) lease.Dispose();
                throw;
            }
        }

        /// <summary>Deletes every file of the disk cache.</summary>
        public void ClearDiskCache()
        {
            if (_cache != null) _cache.Clear();
        }

        /// <summary>Disposes every import (and so every instance's resources). Call on shutdown.</summary>
        public void Dispose()
        {
            _imports.DisposeAll();
            var key = s_Shared.FirstOrDefault(p => p.Value == this).Key;
            if (key != null) s_Shared.Remove(key);
        }

        async Task<Lease<ImportHandle>> AcquireAsync(ResolvedAsset resolved, IProgress<float> progress, CancellationToken cancellationToken)
        {
            try
            {
                return await _imports.AcquireAsync(resolved.Sha256, async token =>
                {
                    var bytes = await _fetcher.FetchAsync(resolved, progress, token);
                    var import = await _importer.ImportAsync(bytes, resolved, token);
                    if (_cache != null) _cache.Pin(resolved.Sha256);
                    return new ImportHandle { Import = import, Sha256 = resolved.Sha256 };
                }, cancellationToken);
            }
            catch (OperationCanceledException error)
            {
                throw new LoadException(ErrorCodes.Aborted, "load " + resolved.CacheKey + ": aborted", null, error);
            }
        }

        static async Task InstantiateInto(GltfImport import, Transform parent, ResolvedAsset resolved, CancellationToken cancellationToken)
        {
            bool success;
            try
            {
                success = await import.InstantiateMainSceneAsync(parent, cancellationToken);
            }
            catch (OperationCanceledException error)
            {
                throw new LoadException(ErrorCodes.Aborted, "instantiate " + resolved.CacheKey + ": aborted", null, error);
            }
            if (!success) throw new LoadException(ErrorCodes.ImportFailed, "instantiate " + resolved.CacheKey + ": glTFast could not instantiate the main scene");
        }

        static Lease<GltfImport> Project(Lease<ImportHandle> lease)
        {
            return new Lease<GltfImport>(lease.Value.Import, lease.Dispose);
        }

        static void RequireModel(ManifestAsset asset)
        {
            if (asset.Type == "model_3d") return;
            const string message = "must be a model_3d asset (load other types with Fetcher.FetchAsync)";
            throw new KilnValidationException("KilnLoader: invalid input: assetId: " + asset.Id + " is a " + asset.Type + " asset; " + message,
                new[] { new ValidationIssue("assetId", message) });
        }

        void WarnMissingDecoders(ManifestAsset asset)
        {
            WarnIfNotGlb(asset, _logger);
            var missing = DecoderSupport.MissingCodecs(asset, KilnDecoders.Ktx);
            if (missing.Count > 0)
                _logger.Log(KilnLogLevel.Warning, "asset " + asset.Id + " uses " + string.Join(", ", missing.ToArray()) + " textures but KTX for Unity (com.unity.cloud.ktx) is not installed");
        }

        string CdnOverride()
        {
            return string.IsNullOrEmpty(_settings.cdnBaseUrlOverride) ? null : _settings.cdnBaseUrlOverride;
        }

        ContentCache CreateCache(KilnLoaderOptions options, IClock clock)
        {
            var store = options.CacheStore;
#if UNITY_WEBGL && !UNITY_EDITOR
            // persistentDataPath is IndexedDB-backed on WebGL; the browser's HTTP cache serves repeat loads.
            if (store == null) return null;
#endif
            if (store == null && !_settings.diskCache) return null;
            try
            {
                return new ContentCache(store ?? new FileBlobStore(DefaultCacheDirectory),
                    Math.Max(0L, _settings.diskCacheBudgetMegabytes) * 1024L * 1024L, clock, _logger, _settings.verifyCacheReads);
            }
            catch (Exception error)
            {
                _logger.Log(KilnLogLevel.Warning, "disk cache disabled: " + error.Message);
                return null;
            }
        }

        static IDeferAgent StableDeferAgent()
        {
            if (s_StableDeferAgent == null || (s_StableDeferAgent is UnityEngine.Object && (UnityEngine.Object)s_StableDeferAgent == null))
            {
                var holder = new GameObject("Kiln glTFast defer agent");
                UnityEngine.Object.DontDestroyOnLoad(holder);
                s_StableDeferAgent = holder.AddComponent<TimeBudgetPerFrameDeferAgent>();
            }
            return s_StableDeferAgent;
        }

        /// <summary>Averages the progress of several downloads into one report.</summary>
        sealed class Aggregate : IProgress<float>
        {
            readonly float[] _reports;
            readonly int _index;
            readonly IProgress<float> _target;

            public Aggregate(float[] reports, int index, IProgress<float> target)
            {
                _reports = reports;
                _index = index;
                _target = target;
            }

            public void Report(float value)
            {
                _reports[_index] = value;
                _target.Report(_reports.Average());
            }
        }
    }
}
