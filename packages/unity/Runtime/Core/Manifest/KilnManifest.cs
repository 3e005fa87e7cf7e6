using System;
using System.Collections.Generic;
using Kiln.Loader.Core.Json;

namespace Kiln.Loader.Core
{
    /// <summary>One file of an asset: level 0 is the asset itself, level <c>i</c> is <c>lods[i - 1]</c>.</summary>
    public interface IAssetFile
    {
        /// <summary>Storage key relative to the CDN base URL.</summary>
        string Key { get; }
        /// <summary>Absolute URL of the file (for example presigned), or null. Takes precedence over <see cref="Key"/>.</summary>
        string Url { get; }
        /// <summary>SHA-256 of the file, 64 lowercase hex characters.</summary>
        string Sha256 { get; }
        /// <summary>Size of the file in bytes.</summary>
        long Bytes { get; }
        /// <summary>Triangle count, when known.</summary>
        long? Triangles { get; }
    }

    /// <summary>
    /// A parsed, valid Kiln asset manifest (see <c>@kiln/manifest</c>'s README for the format). Built
    /// by <see cref="ManifestReader"/>; unknown fields are kept in <see cref="Raw"/> and survive
    /// <see cref="ToJson"/>.
    /// </summary>
    public sealed class KilnManifest
    {
        readonly List<ManifestAsset> _assets;
        readonly Dictionary<string, ManifestAsset> _byId;

        internal KilnManifest(JsonObject raw, List<ManifestAsset> assets)
        {
            Raw = raw;
            _assets = assets;
            _byId = new Dictionary<string, ManifestAsset>(StringComparer.Ordinal);
            foreach (var asset in assets) _byId[asset.Id] = asset;
            ManifestVersion = ((JsonString)raw.Get("manifestVersion")).Value;
            TenantId = ((JsonString)raw.Get("tenantId")).Value;
            RunId = StringOrNull(raw.Get("runId"));
            GeneratedAt = ((JsonString)raw.Get("generatedAt")).Value;
            CdnBaseUrl = StringOrNull(raw.Get("cdnBaseUrl"));
        }

        /// <summary><c>"MAJOR.MINOR"</c>, such as <c>"1.0"</c>.</summary>
        public string ManifestVersion { get; private set; }
        /// <summary>Tenant the assets belong to.</summary>
        public string TenantId { get; private set; }
        /// <summary>Generation run, or null.</summary>
        public string RunId { get; private set; }
        /// <summary>ISO 8601 date-time of generation.</summary>
        public string GeneratedAt { get; private set; }
        /// <summary>Absolute http(s) URL that keys are relative to, or null.</summary>
        public string CdnBaseUrl { get; private set; }
        /// <summary>The assets, in manifest order.</summary>
        public IReadOnlyList<ManifestAsset> Assets { get { return _assets; } }
        /// <summary>The whole validated document, unknown fields included.</summary>
        public JsonObject Raw { get; private set; }

        /// <summary>The asset with this id (case-sensitive), or null.</summary>
        public ManifestAsset FindAsset(string id)
        {
            ManifestAsset asset;
            return id != null && _byId.TryGetValue(id, out asset) ? asset : null;
        }

        /// <summary>The manifest as compact JSON, unknown fields included.</summary>
        public string ToJson()
        {
            return JsonWriter.Write(Raw);
        }

        internal static string StringOrNull(JsonValue value)
        {
            var text = value as JsonString;
            return text == null ? null : text.Value;
        }
    }

    /// <summary>One asset of a manifest; it is its own level 0.</summary>
    public sealed class ManifestAsset : IAssetFile
    {
        internal ManifestAsset(JsonObject raw, List<LodVariant> lods, Dictionary<string, long> platformMinLod, List<string> textureCodecs)
        {
            Raw = raw;
            Id = ((JsonString)raw.Get("id")).Value;
            Type = ((JsonString)raw.Get("type")).Value;
            ContentType = ((JsonString)raw.Get("contentType")).Value;
            Bytes = (long)((JsonNumber)raw.Get("bytes")).Value;
            Sha256 = ((JsonString)raw.Get("sha256")).Value;
            Key = ((JsonString)raw.Get("key")).Value;
            Url = KilnManifest.StringOrNull(raw.Get("url"));
            var triangles = raw.Get("triangles") as JsonNumber;
            Triangles = triangles == null ? (long?)null : (long)triangles.Value;
            Lods = lods.AsReadOnly();
            PlatformMinLod = platformMinLod;
            TextureCodecs = textureCodecs.AsReadOnly();
            Metadata = raw.Get("metadata") as JsonObject;
        }

        /// <summary>Unique id within the manifest.</summary>
        public string Id { get; private set; }
        /// <summary>Asset type, such as <c>model_3d</c>.</summary>
        public string Type { get; private set; }
        /// <summary>Media type, such as <c>model/gltf-binary</c>.</summary>
        public string ContentType { get; private set; }
        /// <inheritdoc />
        public long Bytes { get; private set; }
        /// <inheritdoc />
        public string Sha256 { get; private set; }
        /// <inheritdoc />
        public string Key { get; private set; }
        /// <inheritdoc />
        public string Url { get; private set; }
        /// <inheritdoc />
        public long? Triangles { get; private set; }
        /// <summary>Reduced variants, most detailed first: <c>Lods[i]</c> is level <c>i + 1</c>. Empty when none.</summary>
        public IReadOnlyList<LodVariant> Lods { get; private set; }
        /// <summary>The asset's own LOD floor per platform (empty when unset); see <see cref="LodSelector"/>.</summary>
        public IReadOnlyDictionary<string, long> PlatformMinLod { get; private set; }
        /// <summary>Texture encodings the asset ships, such as <c>ktx2-etc1s</c>. Empty when unset.</summary>
        public IReadOnlyList<string> TextureCodecs { get; private set; }
        /// <summary>Free metadata (prompt, tags, lineage…), or null.</summary>
        public JsonObject Metadata { get; private set; }
        /// <summary>The asset's JSON, unknown fields included.</summary>
        public JsonObject Raw { get; private set; }

        /// <summary>The file of a level: 0 is the asset, <c>i</c> is <c>Lods[i - 1]</c>.</summary>
        public IAssetFile Level(int level)
        {
            if (level < 0 || level > Lods.Count) throw new ArgumentOutOfRangeException("level");
            return level == 0 ? (IAssetFile)this : Lods[level - 1];
        }
    }

    /// <summary>A reduced level of detail of an asset. Exactly one of the two measures is set.</summary>
    public sealed class LodVariant : IAssetFile
    {
        internal LodVariant(JsonObject raw)
        {
            Raw = raw;
            Key = ((JsonString)raw.Get("key")).Value;
            Url = KilnManifest.StringOrNull(raw.Get("url"));
            Sha256 = ((JsonString)raw.Get("sha256")).Value;
            Bytes = (long)((JsonNumber)raw.Get("bytes")).Value;
            Triangles = (long)((JsonNumber)raw.Get("triangles")).Value;
            var distance = raw.Get("switchDistance") as JsonNumber;
            SwitchDistance = distance == null ? (double?)null : distance.Value;
            var coverage = raw.Get("screenCoverage") as JsonNumber;
            ScreenCoverage = coverage == null ? (double?)null : coverage.Value;
        }

        /// <inheritdoc />
        public string Key { get; private set; }
        /// <inheritdoc />
        public string Url { get; private set; }
        /// <inheritdoc />
        public string Sha256 { get; private set; }
        /// <inheritdoc />
        public long Bytes { get; private set; }
        /// <summary>Triangle count of the variant (required for variants).</summary>
        public long? Triangles { get; private set; }
        /// <summary>Camera distance from which this variant is used, or null in coverage mode.</summary>
        public double? SwitchDistance { get; private set; }
        /// <summary>Screen coverage at and below which this variant is used, or null in distance mode.</summary>
        public double? ScreenCoverage { get; private set; }
        /// <summary>The variant's JSON, unknown fields included.</summary>
        public JsonObject Raw { get; private set; }
    }
}
