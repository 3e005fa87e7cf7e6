using System;
using System.Collections.Generic;
using System.Linq;

namespace Kiln.Loader.Core
{
    /// <summary>Platform names (<c>platformMinLod</c> keys).</summary>
    public static class Platforms
    {
        /// <summary>Phones and tablets: skips LOD0 by default.</summary>
        public const string Mobile = "mobile";
        /// <summary>Desktop.</summary>
        public const string Pc = "pc";
        /// <summary>Consoles.</summary>
        public const string Console = "console";
        /// <summary>Browsers (WebGL).</summary>
        public const string Web = "web";

        /// <summary>
        /// The lowest level each platform uses when an asset sets no <c>platformMinLod</c> for it:
        /// <c>{ mobile: 1, pc: 0, console: 0, web: 0 }</c>, clamped to the asset's variant count.
        /// </summary>
        public static readonly IReadOnlyDictionary<string, int> DefaultMinLod = new Dictionary<string, int>(StringComparer.Ordinal)
        {
            { Mobile, 1 }, { Pc, 0 }, { Console, 0 }, { Web, 0 },
        };
    }

    /// <summary>What the caller knows about the view, to pick a level (<see cref="LodSelector"/>).</summary>
    public sealed class LodQuery
    {
        /// <summary>Camera distance (&gt;= 0, infinity allowed), for assets whose variants set <c>switchDistance</c>.</summary>
        public double? Distance { get; set; }
        /// <summary>The object's projected height as a fraction of the screen height (&gt;= 0; Unity's LODGroup convention), for assets whose variants set <c>screenCoverage</c>.</summary>
        public double? ScreenCoverage { get; set; }
        /// <summary>Platform of the player (<see cref="Platforms"/>); applies its LOD floor. Null: no floor.</summary>
        public string Platform { get; set; }
    }

    /// <summary>Options of <see cref="AssetResolver.Resolve"/>.</summary>
    public sealed class ResolveOptions
    {
        /// <summary>Camera distance; see <see cref="LodQuery.Distance"/>.</summary>
        public double? Distance { get; set; }
        /// <summary>Screen coverage; see <see cref="LodQuery.ScreenCoverage"/>.</summary>
        public double? ScreenCoverage { get; set; }
        /// <summary>Platform; see <see cref="LodQuery.Platform"/>.</summary>
        public string Platform { get; set; }
        /// <summary>Explicit level (0 = the asset itself); bypasses the measures and the platform floor.</summary>
        public int? Level { get; set; }
        /// <summary>Base URL that keys are joined to (a mirror, say). Default: the manifest's <c>cdnBaseUrl</c>.</summary>
        public string CdnBaseUrl { get; set; }
    }

    /// <summary>An asset resolved to one file: what a loader fetches, verifies and caches.</summary>
    public sealed class ResolvedAsset
    {
        /// <summary>The asset's id.</summary>
        public string AssetId { get; internal set; }
        /// <summary>The chosen level: 0 is the asset itself, <c>i</c> is <c>lods[i - 1]</c>.</summary>
        public int Level { get; internal set; }
        /// <summary>Storage key of the level's file.</summary>
        public string Key { get; internal set; }
        /// <summary>URL to fetch: the level's <c>url</c> if set, else the CDN base joined with <see cref="Key"/>. May carry a signature: log <see cref="CdnUrl.StripQuery"/> of it.</summary>
        public string Url { get; internal set; }
        /// <summary>SHA-256 of the level's file.</summary>
        public string Sha256 { get; internal set; }
        /// <summary>Size of the level's file.</summary>
        public long Bytes { get; internal set; }
        /// <summary>Media type of the asset.</summary>
        public string ContentType { get; internal set; }
        /// <summary>Triangle count of the level, when known.</summary>
        public long? Triangles { get; internal set; }
        /// <summary><c>assetId#level@sha256</c> (<see cref="CacheKeys.For"/>): never the URL, so new presigned URLs do not bust caches.</summary>
        public string CacheKey { get; internal set; }
    }

    /// <summary>LOD selection, identical to <c>@kiln/manifest</c>'s <c>selectLod</c>.</summary>
    public static class LodSelector
    {
        /// <summary>
        /// Picks the level of an asset: in distance mode the number of variants whose
        /// <c>switchDistance &lt;= distance</c>; in coverage mode the number whose
        /// <c>screenCoverage &gt;= coverage</c>; level 0 without the asset's measure; then at least
        /// the platform floor (<c>platformMinLod[platform]</c>, else <see cref="Platforms.DefaultMinLod"/>),
        /// at most the number of variants.
        /// </summary>
        /// <exception cref="KilnValidationException">A negative or NaN measure, or an unknown platform.</exception>
        public static int Select(ManifestAsset asset, LodQuery query)
        {
            if (asset == null) throw new ArgumentNullException("asset");
            if (query == null) query = new LodQuery();
            var issues = Check(query.Distance, query.ScreenCoverage, query.Platform);
            if (issues.Count > 0) throw KilnValidationException.From("selectLod", issues);
            return Pick(asset, query.Distance, query.ScreenCoverage, query.Platform);
        }

        internal static int Pick(ManifestAsset asset, double? distance, double? coverage, string platform)
        {
            var lods = asset.Lods;
            if (lods.Count == 0) return 0;
            var level = 0;
            var first = lods[0];
            if (first.SwitchDistance.HasValue && distance.HasValue)
            {
                level = lods.Count(v => v.SwitchDistance.HasValue && v.SwitchDistance.Value <= distance.Value);
            }
            else if (first.ScreenCoverage.HasValue && coverage.HasValue)
            {
                level = lods.Count(v => v.ScreenCoverage.HasValue && v.ScreenCoverage.Value >= coverage.Value);
            }
            if (platform != null)
            {
                long floor;
                if (!asset.PlatformMinLod.TryGetValue(platform, out floor)) floor = Platforms.DefaultMinLod[platform];
                level = (int)Math.Min(Math.Max(level, floor), lods.Count);
            }
            return Math.Min(level, lods.Count);
        }

        internal static List<ValidationIssue> Check(double? distance, double? coverage, string platform)
        {
            var issues = new List<ValidationIssue>();
            if (distance.HasValue && !(distance.Value >= 0)) issues.Add(new ValidationIssue("distance", "must be a number >= 0"));
            if (coverage.HasValue && !(coverage.Value >= 0)) issues.Add(new ValidationIssue("screenCoverage", "must be a number >= 0"));
            if (platform != null && !Platforms.DefaultMinLod.ContainsKey(platform))
                issues.Add(new ValidationIssue("platform", "must be one of " + string.Join(", ", ManifestSchema.Platforms.ToArray())));
            return issues;
        }
    }

    /// <summary>Resolution of an asset to a file, identical to <c>@kiln/manifest</c>'s <c>resolveAsset</c>.</summary>
    public static class AssetResolver
    {
        /// <summary>
        /// Picks the level (<see cref="LodSelector"/>, or <see cref="ResolveOptions.Level"/>), then its URL:
        /// the level's own <c>url</c> if set, else <c>options.CdnBaseUrl ?? manifest.CdnBaseUrl</c>
        /// joined with the key (<see cref="CdnUrl.Join"/>), and its cache key.
        /// </summary>
        /// <exception cref="KilnValidationException">Invalid options (<c>invalid_input</c>).</exception>
        /// <exception cref="ResolveException"><c>asset_not_found</c>, <c>lod_not_found</c> or <c>manifest_unresolvable</c>.</exception>
        public static ResolvedAsset Resolve(KilnManifest manifest, string assetId, ResolveOptions options = null)
        {
            if (manifest == null) throw new ArgumentNullException("manifest");
            if (options == null) options = new ResolveOptions();
            var issues = LodSelector.Check(options.Distance, options.ScreenCoverage, options.Platform);
            if (options.Level.HasValue && options.Level.Value < 0) issues.Add(new ValidationIssue("level", "must be an integer >= 0"));
            string optionBase = null;
            if (options.CdnBaseUrl != null)
            {
                string error;
                optionBase = HttpUrl.NormalizeBaseUrl(options.CdnBaseUrl, out error);
                if (optionBase == null) issues.Add(new ValidationIssue("cdnBaseUrl", error));
            }
            if (issues.Count > 0) throw KilnValidationException.From("resolveAsset", issues);

            var asset = manifest.FindAsset(assetId);
            if (asset == null)
            {
                throw new ResolveException(ErrorCodes.AssetNotFound,
                    "resolveAsset: asset " + Quote(assetId) + " not found in the manifest (" + manifest.Assets.Count + " assets)",
                    new Dictionary<string, object> { { "assetId", assetId } });
            }
            int level;
            if (!options.Level.HasValue)
            {
                level = LodSelector.Pick(asset, options.Distance, options.ScreenCoverage, options.Platform);
            }
            else if (options.Level.Value > asset.Lods.Count)
            {
                throw new ResolveException(ErrorCodes.LodNotFound,
                    "resolveAsset: asset " + Quote(assetId) + " has no level " + options.Level.Value + " (levels 0.." + asset.Lods.Count + ")",
                    new Dictionary<string, object> { { "assetId", assetId }, { "level", options.Level.Value }, { "levels", asset.Lods.Count + 1 } });
            }
            else
            {
                level = options.Level.Value;
            }

            var source = asset.Level(level);
            var baseUrl = optionBase ?? manifest.CdnBaseUrl;
            string url;
            if (source.Url != null)
            {
                url = source.Url;
            }
            else if (baseUrl != null)
            {
                url = CdnUrl.Join(baseUrl, source.Key);
            }
            else
            {
                throw new ResolveException(ErrorCodes.ManifestUnresolvable,
                    "resolveAsset: asset " + Quote(assetId) + " level " + level + " has no url and there is no cdnBaseUrl; set manifest.cdnBaseUrl or pass options.CdnBaseUrl",
                    new Dictionary<string, object> { { "assetId", assetId }, { "level", level }, { "key", source.Key } });
            }
            return new ResolvedAsset
            {
                AssetId = assetId,
                Level = level,
                Key = source.Key,
                Url = url,
                Sha256 = source.Sha256,
                Bytes = source.Bytes,
                ContentType = asset.ContentType,
                Triangles = source.Triangles,
                CacheKey = CacheKeys.For(assetId, level, source.Sha256),
            };
        }

        /// <summary>Every level of an asset, resolved (for building a LODGroup).</summary>
        public static IList<ResolvedAsset> ResolveAllLevels(KilnManifest manifest, string assetId, string cdnBaseUrl = null)
        {
            var result = new List<ResolvedAsset> { Resolve(manifest, assetId, new ResolveOptions { Level = 0, CdnBaseUrl = cdnBaseUrl }) };
            var asset = manifest.FindAsset(assetId);
            for (var level = 1; level <= asset.Lods.Count; level++)
                result.Add(Resolve(manifest, assetId, new ResolveOptions { Level = level, CdnBaseUrl = cdnBaseUrl }));
            return result;
        }

        static string Quote(string value)
        {
            return value == null ? "null" : Json.JsonWriter.Quote(value);
        }
    }
}
