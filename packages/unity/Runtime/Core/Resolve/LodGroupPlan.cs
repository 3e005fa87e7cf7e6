using System;
using System.Collections.Generic;

namespace Kiln.Loader.Core
{
    /// <summary>One entry of a Unity <c>LODGroup</c>: which manifest level it shows, and below which screen height it hands over to the next.</summary>
    public struct LodGroupEntry
    {
        /// <summary>Manifest level (0 = the asset itself).</summary>
        public int Level;
        /// <summary>Unity's <c>LOD.screenRelativeTransitionHeight</c>: this entry is used while the object's screen height fraction is above it.</summary>
        public float ScreenRelativeTransitionHeight;
    }

    /// <summary>Inputs of <see cref="LodGroupPlan.Build"/>.</summary>
    public sealed class LodGroupPlanOptions
    {
        /// <summary>Platform, whose floor drops the levels below it. Null: no floor.</summary>
        public string Platform { get; set; }
        /// <summary>Height of the object's bounds in world units (Unity's <c>LODGroup.size</c>), to turn distances into screen heights. Default 1.</summary>
        public double ObjectSize { get; set; }
        /// <summary>Vertical field of view of the camera in degrees, for the same conversion. Default 60 (Unity's default camera).</summary>
        public double FieldOfViewDegrees { get; set; }
        /// <summary>Screen height below which the last level is culled. Default 0: never culled.</summary>
        public double CullBelow { get; set; }

        /// <summary>Creates the defaults.</summary>
        public LodGroupPlanOptions()
        {
            ObjectSize = 1;
            FieldOfViewDegrees = 60;
            CullBelow = 0;
        }
    }

    /// <summary>
    /// Maps an asset's manifest LODs to a Unity <c>LODGroup</c>. Coverage thresholds are read as
    /// Unity's screen-relative heights; distance thresholds become the screen height the object has
    /// at that distance, <c>size / (2 · distance · tan(fov / 2))</c> (Unity then also applies
    /// <c>QualitySettings.lodBias</c>). Levels under the platform floor are left out, so the floor
    /// level fills the first slot. Pure: the glue turns the plan into <c>LOD</c>s.
    /// </summary>
    public static class LodGroupPlan
    {
        /// <summary>The LODGroup entries for <paramref name="asset"/>, most detailed first.</summary>
        /// <exception cref="KilnValidationException">An unknown platform, or a size or field of view out of range.</exception>
        public static IList<LodGroupEntry> Build(ManifestAsset asset, LodGroupPlanOptions options = null)
        {
            if (asset == null) throw new ArgumentNullException("asset");
            if (options == null) options = new LodGroupPlanOptions();
            var issues = LodSelector.Check(null, null, options.Platform);
            if (!(options.ObjectSize > 0) || double.IsInfinity(options.ObjectSize)) issues.Add(new ValidationIssue("objectSize", "must be a finite number > 0"));
            if (!(options.FieldOfViewDegrees > 0 && options.FieldOfViewDegrees < 180)) issues.Add(new ValidationIssue("fieldOfViewDegrees", "must be in (0, 180)"));
            if (!(options.CullBelow >= 0 && options.CullBelow < 1)) issues.Add(new ValidationIssue("cullBelow", "must be in [0, 1)"));
            if (issues.Count > 0) throw KilnValidationException.From("LodGroupPlan.Build", issues);

            var floor = options.Platform == null ? 0 : LodSelector.Pick(asset, null, null, options.Platform);
            var levels = asset.Lods.Count;
            var entries = new List<LodGroupEntry>();
            var halfFovTan = Math.Tan(options.FieldOfViewDegrees * Math.PI / 360.0);
            for (var level = floor; level <= levels; level++)
            {
                double handOver;
                if (level == levels)
                {
                    handOver = options.CullBelow;
                }
                else
                {
                    var next = asset.Lods[level]; // level + 1 starts at lods[level]'s threshold
                    handOver = next.ScreenCoverage.HasValue
                        ? next.ScreenCoverage.Value
                        : ScreenHeightAt(next.SwitchDistance.Value, options.ObjectSize, halfFovTan);
                }
                entries.Add(new LodGroupEntry { Level = level, ScreenRelativeTransitionHeight = (float)handOver });
            }
            // Unity requires strictly decreasing heights; keep them so after float rounding and clamping.
            for (var i = 0; i < entries.Count; i++)
            {
                var e = entries[i];
                var max = i == 0 ? 1f : entries[i - 1].ScreenRelativeTransitionHeight;
                if (e.ScreenRelativeTransitionHeight >= max) e.ScreenRelativeTransitionHeight = max * 0.999f;
                if (e.ScreenRelativeTransitionHeight < 0) e.ScreenRelativeTransitionHeight = 0;
                entries[i] = e;
            }
            return entries;
        }

        /// <summary>Fraction of the screen height an object of <paramref name="size"/> covers at <paramref name="distance"/>, clamped to [0, 1].</summary>
        public static double ScreenHeightAt(double distance, double size, double halfFovTan)
        {
            if (distance <= 0) return 1;
            if (double.IsPositiveInfinity(distance)) return 0;
            return Math.Min(1, size / (2 * distance * halfFovTan));
        }

        /// <summary>The inverse: the camera distance at which an object of <paramref name="size"/> covers <paramref name="screenHeight"/> of the screen.</summary>
        public static double DistanceFor(double screenHeight, double size, double fieldOfViewDegrees)
        {
            if (!(screenHeight > 0)) return double.PositiveInfinity;
            return size / (2 * screenHeight * Math.Tan(fieldOfViewDegrees * Math.PI / 360.0));
        }
    }
}
