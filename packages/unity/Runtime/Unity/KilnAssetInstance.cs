using System;
using System.Collections.Generic;
using GLTFast;
using Kiln.Loader.Core;
using UnityEngine;

namespace Kiln.Loader
{
    /// <summary>
    /// An instantiated asset: its root GameObject and the references it holds on shared glTFast
    /// imports. <see cref="Dispose"/> destroys the GameObject first, then releases the imports (the
    /// last release disposes an import, which frees its meshes, materials and textures; glTFast's
    /// <c>Dispose()</c> destroys resources even if instances still use them, hence the order).
    /// </summary>
    public sealed class KilnAssetInstance : IDisposable
    {
        readonly List<Lease<GltfImport>> _leases;

        internal KilnAssetInstance(GameObject root, ManifestAsset asset, IList<ResolvedAsset> levels, List<Lease<GltfImport>> leases, LODGroup lodGroup)
        {
            Root = root;
            Asset = asset;
            Levels = new List<ResolvedAsset>(levels).AsReadOnly();
            LodGroup = lodGroup;
            _leases = leases;
        }

        /// <summary>The root GameObject (destroyed by <see cref="Dispose"/>).</summary>
        public GameObject Root { get; private set; }
        /// <summary>The manifest entry.</summary>
        public ManifestAsset Asset { get; private set; }
        /// <summary>The levels instantiated (one, or every level under a LODGroup).</summary>
        public IReadOnlyList<ResolvedAsset> Levels { get; private set; }
        /// <summary>The LODGroup, when built.</summary>
        public LODGroup LodGroup { get; private set; }
        /// <summary>True once disposed.</summary>
        public bool IsDisposed { get; private set; }

        /// <summary>Destroys the instance and releases its imports. Safe to call twice.</summary>
        public void Dispose()
        {
            if (IsDisposed) return;
            IsDisposed = true;
            if (Root != null) UnityEngine.Object.Destroy(Root);
            foreach (var lease in _leases) lease.Dispose();
            _leases.Clear();
        }
    }

    /// <summary>Builds a <c>LODGroup</c> from a <see cref="LodGroupPlan"/> and the instantiated levels.</summary>
    public static class LodGroupBuilder
    {
        /// <summary>
        /// Adds a LODGroup to <paramref name="root"/> with one LOD per plan entry, using the renderers
        /// under the matching level root, and recalculates its bounds.
        /// </summary>
        public static LODGroup Build(GameObject root, IList<LodGroupEntry> plan, IList<GameObject> levelRoots)
        {
            if (plan.Count != levelRoots.Count) throw new ArgumentException("one level root per plan entry is required", "levelRoots");
            var group = root.AddComponent<LODGroup>();
            var lods = new LOD[plan.Count];
            for (var i = 0; i < plan.Count; i++)
            {
                lods[i] = new LOD(plan[i].ScreenRelativeTransitionHeight, levelRoots[i].GetComponentsInChildren<Renderer>(true));
            }
            group.SetLODs(lods);
            group.RecalculateBounds();
            return group;
        }

        /// <summary>The largest extent of the renderers' world bounds under <paramref name="root"/> (1 when there are none).</summary>
        public static float Size(GameObject root)
        {
            var renderers = root.GetComponentsInChildren<Renderer>(true);
            if (renderers.Length == 0) return 1f;
            var bounds = renderers[0].bounds;
            for (var i = 1; i < renderers.Length; i++) bounds.Encapsulate(renderers[i].bounds);
            var size = bounds.size;
            var largest = Math.Max(size.x, Math.Max(size.y, size.z));
            return largest > 0 ? largest : 1f;
        }
    }
}
