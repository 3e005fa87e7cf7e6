using System;
using System.Threading;
using System.Threading.Tasks;
using Kiln.Loader.Core;
using UnityEngine;

namespace Kiln.Loader
{
    /// <summary>
    /// Loads one asset of a Kiln manifest under this GameObject: drop it in a scene, set the manifest
    /// URL and the asset id. With <see cref="buildLodGroup"/> every level is loaded under a
    /// <c>LODGroup</c>; otherwise the level for <see cref="distance"/> is loaded. Destroying the
    /// component cancels a pending load and releases the asset.
    /// </summary>
    [AddComponentMenu("Kiln/Kiln Asset Loader")]
    [DisallowMultipleComponent]
    public sealed class KilnAssetLoader : MonoBehaviour
    {
        [Tooltip("Loader settings; empty for the defaults.")]
        [SerializeField] KilnLoaderSettings settings = null;
        [Tooltip("URL of the run's manifest.json (http(s) or file://).")]
        [SerializeField] string manifestUrl = "";
        [Tooltip("Id of the asset to load.")]
        [SerializeField] string assetId = "";
        [Tooltip("Load every level under a LODGroup (Unity switches levels by screen size).")]
        [SerializeField] bool buildLodGroup = true;
        [Tooltip("Without a LODGroup: the camera distance that picks the level.")]
        [SerializeField] float distance = 0f;
        [Tooltip("Load when the component starts.")]
        [SerializeField] bool loadOnStart = true;

        CancellationTokenSource _cancel;

        /// <summary>Raised on the main thread once the asset is instantiated.</summary>
        public event Action<KilnAssetInstance> Loaded;
        /// <summary>Raised when loading fails (the error is also logged).</summary>
        public event Action<Exception> Failed;

        /// <summary>The loaded asset, or null.</summary>
        public KilnAssetInstance Instance { get; private set; }
        /// <summary>Download progress in [0, 1].</summary>
        public float Progress { get; private set; }

        /// <summary>Configures the component from code (before <see cref="LoadAsync"/>).</summary>
        public void Configure(string manifest, string asset, KilnLoaderSettings loaderSettings = null, bool lodGroup = true)
        {
            manifestUrl = manifest;
            assetId = asset;
            settings = loaderSettings;
            buildLodGroup = lodGroup;
        }

        async void Start()
        {
            if (!loadOnStart) return;
            try
            {
                await LoadAsync();
            }
            catch (Exception)
            {
                // Reported through Failed and the logger by LoadAsync.
            }
        }

        /// <summary>Loads (or reloads) the asset, replacing a previous one.</summary>
        public async Task<KilnAssetInstance> LoadAsync()
        {
            Release();
            _cancel = new CancellationTokenSource();
            var token = _cancel.Token;
            var loader = KilnLoader.Shared(settings);
            try
            {
                var manifest = await loader.LoadManifestAsync(manifestUrl, token);
                var progress = new Progress<float>(value => Progress = value);
                var instance = buildLodGroup
                    ? await loader.InstantiateWithLodGroupAsync(manifest, assetId, transform, token, progress)
                    : await loader.InstantiateAsync(manifest, assetId, transform, new LoadRequest { Distance = distance, Progress = progress }, token);
                if (this == null || token.IsCancellationRequested)
                {
                    instance.Dispose(); // destroyed while loading
                    return null;
                }
                Instance = instance;
                Progress = 1f;
                if (Loaded != null) Loaded(instance);
                return instance;
            }
            catch (Exception error)
            {
                var kiln = error as KilnException;
                if (kiln == null || kiln.Code != ErrorCodes.Aborted)
                {
                    Debug.LogError("Kiln: " + (kiln != null ? "[" + kiln.Code + "] " : string.Empty) + error.Message, this);
                }
                if (Failed != null) Failed(error);
                throw;
            }
        }

        /// <summary>Cancels a pending load and destroys the loaded asset.</summary>
        public void Release()
        {
            if (_cancel != null)
            {
                _cancel.Cancel();
                _cancel.Dispose();
                _cancel = null;
            }
            if (Instance != null)
            {
                Instance.Dispose();
                Instance = null;
            }
        }

        void OnDestroy()
        {
            Release();
        }
    }
}
