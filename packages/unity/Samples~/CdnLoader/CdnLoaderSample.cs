using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Kiln.Loader;
using Kiln.Loader.Core;
using UnityEngine;

namespace Kiln.Loader.Samples
{
    /// <summary>
    /// Sample scene script: loads a Kiln manifest from a CDN (or a presigned manifest URL), then
    /// spawns every 3D model of the run in a row, each under a LODGroup built from its LOD variants.
    /// Presigned URLs that expire while the scene runs are refreshed by reloading the manifest, whose
    /// URLs the backend signs afresh. Add it to an empty GameObject, set <see cref="manifestUrl"/>,
    /// press Play.
    /// </summary>
    public sealed class CdnLoaderSample : MonoBehaviour
    {
        [Tooltip("URL of a Kiln manifest.json, for example https://cdn.example.com/kiln/acme/run-42/manifest.json")]
        [SerializeField] string manifestUrl = "";
        [Tooltip("Optional loader settings (retries, disk cache budget, platform).")]
        [SerializeField] KilnLoaderSettings settings = null;
        [Tooltip("Distance between spawned assets, in meters.")]
        [SerializeField] float spacing = 2.5f;
        [Tooltip("Build LODGroups (true) or load the single level for the distance to the main camera (false).")]
        [SerializeField] bool useLodGroups = true;

        readonly List<KilnAssetInstance> _instances = new List<KilnAssetInstance>();
        readonly CancellationTokenSource _cancel = new CancellationTokenSource();
        KilnLoader _loader;

        async void Start()
        {
            try
            {
                await LoadAll(_cancel.Token);
            }
            catch (KilnException error) when (error.Code == ErrorCodes.Aborted)
            {
                // The scene was closed while loading.
            }
            catch (KilnException error)
            {
                Debug.LogError("Kiln sample: [" + error.Code + "] " + error.Message, this);
            }
        }

        async Task LoadAll(CancellationToken cancellationToken)
        {
            // The refresh callback reloads the manifest: a backend that serves it presigns the URLs anew.
            var options = new KilnLoaderOptions
            {
                UrlRefresh = ManifestUrlRefresher.Create(token => _loader.LoadManifestAsync(manifestUrl, token)),
            };
            _loader = new KilnLoader(settings, options);
            var manifest = await _loader.LoadManifestAsync(manifestUrl, cancellationToken);
            Debug.Log("Kiln sample: " + manifest.Assets.Count + " asset(s) in run " + (manifest.RunId ?? "?") + " of " + manifest.TenantId, this);

            var position = 0;
            foreach (var asset in manifest.Assets)
            {
                if (asset.Type != "model_3d") continue;
                var slot = new GameObject(asset.Id);
                slot.transform.SetParent(transform, false);
                slot.transform.localPosition = new Vector3(position++ * spacing, 0f, 0f);
                KilnAssetInstance instance;
                if (useLodGroups)
                {
                    instance = await _loader.InstantiateWithLodGroupAsync(manifest, asset.Id, slot.transform, cancellationToken);
                }
                else
                {
                    var camera = Camera.main;
                    var distance = camera == null ? 0.0 : (double)Vector3.Distance(camera.transform.position, slot.transform.position);
                    instance = await _loader.InstantiateAsync(manifest, asset.Id, slot.transform, new LoadRequest { Distance = distance }, cancellationToken);
                }
                _instances.Add(instance);
                Debug.Log("Kiln sample: spawned " + asset.Id + " (levels " + string.Join(", ", LevelNames(instance)) + ")", this);
            }
        }

        static string[] LevelNames(KilnAssetInstance instance)
        {
            var names = new string[instance.Levels.Count];
            for (var i = 0; i < names.Length; i++) names[i] = instance.Levels[i].Level.ToString();
            return names;
        }

        void OnDestroy()
        {
            _cancel.Cancel();
            foreach (var instance in _instances) instance.Dispose();
            _instances.Clear();
            if (_loader != null) _loader.Dispose();
        }
    }
}
