using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.RegularExpressions;
using Kiln.Loader.Core.Json;

namespace Kiln.Loader.Core
{
    /// <summary>The enumerations and patterns of the manifest schema, as in <c>@kiln/manifest</c>.</summary>
    public static class ManifestSchema
    {
        /// <summary>Asset types. Adding one is a MAJOR change.</summary>
        public static readonly IReadOnlyList<string> AssetTypes = new[] { "model_3d", "texture", "image", "environment_map", "video", "audio", "bundle", "shader" };
        /// <summary>Platforms a player reports to pick a LOD floor.</summary>
        public static readonly IReadOnlyList<string> Platforms = new[] { "mobile", "pc", "console", "web" };
        /// <summary>Texture encodings an asset can ship.</summary>
        public static readonly IReadOnlyList<string> TextureCodecs = new[] { "ktx2-etc1s", "ktx2-uastc", "webp", "png", "jpeg", "avif" };

        static readonly Regex s_Sha256 = new Regex(@"\A[0-9a-f]{64}\z", RegexOptions.CultureInvariant);
        static readonly Regex s_AssetId = new Regex(@"\A[A-Za-z0-9._:-]{1,200}\z", RegexOptions.CultureInvariant);

        /// <summary>True for 64 lowercase hexadecimal characters.</summary>
        public static bool IsSha256(string value) { return value != null && s_Sha256.IsMatch(value); }

        /// <summary>True for an asset id: 1-200 characters of <c>A-Z a-z 0-9 . _ : -</c>.</summary>
        public static bool IsAssetId(string value) { return value != null && s_AssetId.IsMatch(value); }

        /// <summary>
        /// True for a storage key: not empty, no leading <c>/</c>, no <c>..</c> segment, no control
        /// character. (Stricter than TypeScript's <c>STORAGE_KEY_PATTERN</c> in one corner: that
        /// regex misses a <c>..</c> segment placed after a U+2028/U+2029 line separator; this check
        /// rejects it.)
        /// </summary>
        public static bool IsStorageKey(string value)
        {
            if (string.IsNullOrEmpty(value) || value[0] == '/') return false;
            foreach (var c in value)
            {
                if (c <= 0x1f || c == 0x7f) return false;
            }
            foreach (var segment in value.Split('/'))
            {
                if (segment == "..") return false;
            }
            return true;
        }

        /// <summary>True for a media type such as <c>model/gltf-binary</c>, parameters allowed after <c>;</c>.</summary>
        public static bool IsContentType(string value)
        {
            if (value == null) return false;
            var i = 0;
            var typeStart = i;
            while (i < value.Length && IsTokenChar(value[i])) i++;
            if (i == typeStart || i >= value.Length || value[i] != '/') return false;
            i++;
            var subtypeStart = i;
            while (i < value.Length && IsTokenChar(value[i])) i++;
            if (i == subtypeStart) return false;
            if (i == value.Length) return true;
            while (i < value.Length && JsText.IsWhitespace(value[i])) i++;
            if (i >= value.Length || value[i] != ';') return false;
            for (i++; i < value.Length; i++)
            {
                if (JsText.IsLineTerminator(value[i])) return false;
            }
            return true;
        }

        static bool IsTokenChar(char c)
        {
            return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || "!#$&^_.+-".IndexOf(c) >= 0;
        }

        // zod's z.iso.datetime({ offset: true }): RFC 3339 with seconds, optional fraction, Z or ±hh:mm.
        static readonly Regex s_DateTime = new Regex(
            @"\A(?:(?:[0-9][0-9][2468][048]|[0-9][0-9][13579][26]|[0-9][0-9]0[48]|[02468][048]00|[13579][26]00)-02-29|[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|(?:02)-(?:0[1-9]|1[0-9]|2[0-8])))" +
            @"T(?:(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9]))\z",
            RegexOptions.CultureInvariant);

        /// <summary>True for an ISO 8601 date-time with seconds and <c>Z</c> or an offset.</summary>
        public static bool IsDateTime(string value) { return value != null && s_DateTime.IsMatch(value); }

        internal static bool HasLoneSurrogate(string value)
        {
            for (var i = 0; i < value.Length; i++)
            {
                var c = value[i];
                if (char.IsHighSurrogate(c))
                {
                    if (i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])) i++;
                    else return true;
                }
                else if (char.IsLowSurrogate(c))
                {
                    return true;
                }
            }
            return false;
        }
    }

    /// <summary>
    /// The manifest schema of <c>@kiln/manifest</c> (zod), ported: the same fields, rules and issue
    /// paths. As in zod, a type error "aborts" its subtree: cross-field rules over a list (ordered
    /// LOD thresholds, unique ids) are skipped when an element has one.
    /// </summary>
    sealed class ManifestValidator
    {
        internal struct Issue
        {
            public string Path;
            public string Message;
            public bool Aborts;
        }

        const string Required = "required";
        const string NotInteger = "must be an integer";
        const string NotFinite = "must be a finite number";
        const string KeyMessage = "must be a relative storage key: not empty, no leading \"/\", no \"..\" segment, no control character";
        const string ShaMessage = "must be 64 lowercase hexadecimal characters (a SHA-256 digest)";
        const string Unicode = "must be well-formed Unicode (no lone surrogate)";
        static readonly Regex s_VersionOfMajor = new Regex(@"\A" + ManifestVersions.CurrentMajor + @"\.(?:0|[1-9][0-9]*)\z", RegexOptions.CultureInvariant);

        public readonly List<Issue> Issues = new List<Issue>();

        void Add(string path, string message, bool aborts)
        {
            Issues.Add(new Issue { Path = path, Message = message, Aborts = aborts });
        }

        bool AbortedUnder(string path, int fromIssue)
        {
            for (var i = fromIssue; i < Issues.Count; i++)
            {
                var issue = Issues[i];
                if (issue.Aborts && (issue.Path == path || issue.Path.StartsWith(path + ".", StringComparison.Ordinal))) return true;
            }
            return false;
        }

        static string Join(string parent, string child) { return parent.Length == 0 ? child : parent + "." + child; }
        static string Join(string parent, int index) { return Join(parent, index.ToString(System.Globalization.CultureInfo.InvariantCulture)); }

        static string TypeMessage(string expected, JsonValue value)
        {
            return "Invalid input: expected " + expected + ", received " + value.TypeName;
        }

        // ---- field helpers -------------------------------------------------------------------------

        /// <summary>A string field; null (with an issue unless optional and absent) otherwise.</summary>
        string StringField(JsonObject parent, string name, string path, bool required, string typeError = null)
        {
            var value = parent.Get(name);
            if (value == null)
            {
                if (required) Add(path, Required, true);
                return null;
            }
            var text = value as JsonString;
            if (text == null)
            {
                Add(path, typeError ?? TypeMessage("string", value), true);
                return null;
            }
            return text.Value;
        }

        void NonNegativeInt(JsonValue value, string path, bool required)
        {
            if (value == null)
            {
                if (required) Add(path, Required, true);
                return;
            }
            var number = value as JsonNumber;
            if (number == null || double.IsInfinity(number.Value))
            {
                Add(path, NotInteger, true);
                return;
            }
            // As zod's z.int(): a fraction is a type error (aborts), an integer beyond ±(2^53 − 1) a range error.
            if (Math.Floor(number.Value) != number.Value) Add(path, NotInteger, true);
            else if (!number.IsSafeInteger) Add(path, NotInteger, false);
            else if (number.Value < 0) Add(path, "must be >= 0", false);
        }

        /// <summary>A finite number field, or null (issue added when present but invalid).</summary>
        double? FiniteNumber(JsonValue value, string path)
        {
            if (value == null) return null;
            var number = value as JsonNumber;
            if (number == null || double.IsInfinity(number.Value) || double.IsNaN(number.Value))
            {
                Add(path, NotFinite, true);
                return null;
            }
            return number.Value;
        }

        void Enum(JsonValue value, string path, IReadOnlyList<string> options)
        {
            var text = value as JsonString;
            if (text != null && options.Contains(text.Value)) return;
            Add(path, value == null ? Required : "Invalid option: expected one of " + string.Join("|", options.Select(o => "\"" + o + "\"").ToArray()), true);
        }

        void Sha256(JsonObject parent, string path)
        {
            var value = StringField(parent, "sha256", path, true);
            if (value != null && !ManifestSchema.IsSha256(value)) Add(path, ShaMessage, false);
        }

        void StorageKey(JsonObject parent, string path)
        {
            var value = StringField(parent, "key", path, true);
            if (value == null) return;
            if (!ManifestSchema.IsStorageKey(value)) Add(path, KeyMessage, false);
            if (ManifestSchema.HasLoneSurrogate(value)) Add(path, Unicode, false);
        }

        void Url(JsonObject parent, string name, string path, bool baseUrl)
        {
            var value = parent.Get(name);
            if (value == null) return;
            var text = value as JsonString;
            if (text == null)
            {
                Add(path, HttpUrl.NotHttpUrl, true);
                return;
            }
            string error;
            var normalized = baseUrl ? HttpUrl.NormalizeBaseUrl(text.Value, out error) : HttpUrl.NormalizeUrl(text.Value, out error);
            if (normalized == null)
            {
                Add(path, error, error == HttpUrl.NotHttpUrl);
                return;
            }
            if (!string.Equals(normalized, text.Value, StringComparison.Ordinal)) parent.Set(name, new JsonString(normalized));
        }

        void StringArray(JsonValue value, string path)
        {
            if (value == null) return;
            var array = value as JsonArray;
            if (array == null)
            {
                Add(path, TypeMessage("array", value), true);
                return;
            }
            for (var i = 0; i < array.Count; i++)
            {
                if (array[i].Kind != JsonKind.String) Add(Join(path, i), TypeMessage("string", array[i]), true);
            }
        }

        JsonObject ObjectValue(JsonValue value, string path, string expected = "object")
        {
            var obj = value as JsonObject;
            if (obj == null) Add(path, value == null ? Required : TypeMessage(expected, value), true);
            return obj;
        }

        // ---- schema ---------------------------------------------------------------------------------

        public List<ManifestAsset> ValidateManifest(JsonObject root)
        {
            var version = StringField(root, "manifestVersion", "manifestVersion", true);
            if (version != null && !s_VersionOfMajor.IsMatch(version)) Add("manifestVersion", "must be \"" + ManifestVersions.CurrentMajor + ".MINOR\"", false);

            var tenant = StringField(root, "tenantId", "tenantId", true);
            if (tenant != null && tenant.Length == 0) Add("tenantId", "must not be empty", false);
            var run = StringField(root, "runId", "runId", false);
            if (run != null && run.Length == 0) Add("runId", "must not be empty", false);

            const string dateMessage = "must be an ISO 8601 date-time such as 2025-01-31T12:00:00Z";
            var generated = StringField(root, "generatedAt", "generatedAt", true, dateMessage);
            if (generated != null && !ManifestSchema.IsDateTime(generated)) Add("generatedAt", dateMessage, false);

            Url(root, "cdnBaseUrl", "cdnBaseUrl", true);

            var assets = new List<ManifestAsset>();
            var assetsValue = root.Get("assets");
            var array = assetsValue as JsonArray;
            if (array == null)
            {
                Add("assets", assetsValue == null ? Required : TypeMessage("array", assetsValue), true);
                return assets;
            }
            var start = Issues.Count;
            for (var i = 0; i < array.Count; i++)
            {
                var asset = ValidateAsset(array[i], Join("assets", i));
                if (asset != null) assets.Add(asset);
            }
            if (!AbortedUnder("assets", start))
            {
                var seen = new Dictionary<string, int>(StringComparer.Ordinal);
                for (var i = 0; i < array.Count; i++)
                {
                    var id = ((JsonObject)array[i]).Get("id") as JsonString;
                    if (id == null) continue;
                    int first;
                    if (seen.TryGetValue(id.Value, out first))
                        Add(Join(Join("assets", i), "id"), "duplicate asset id " + JsonWriter.Quote(id.Value) + " (also assets." + first + ".id)", false);
                    else
                        seen[id.Value] = i;
                }
            }
            return assets;
        }

        ManifestAsset ValidateAsset(JsonValue value, string path)
        {
            var asset = ObjectValue(value, path);
            if (asset == null) return null;
            var before = Issues.Count;

            var idPath = Join(path, "id");
            var id = StringField(asset, "id", idPath, true);
            if (id != null)
            {
                if (id.Length == 0) Add(idPath, "must not be empty", true);
                else if (id.Length > 200) Add(idPath, "must be at most 200 characters", true);
                else if (!ManifestSchema.IsAssetId(id)) Add(idPath, "must contain only A-Z a-z 0-9 . _ : -", false);
            }
            Enum(asset.Get("type"), Join(path, "type"), ManifestSchema.AssetTypes);
            var contentTypePath = Join(path, "contentType");
            var contentType = StringField(asset, "contentType", contentTypePath, true);
            if (contentType != null && !ManifestSchema.IsContentType(contentType)) Add(contentTypePath, "must be a media type such as \"model/gltf-binary\"", false);
            NonNegativeInt(asset.Get("bytes"), Join(path, "bytes"), true);
            Sha256(asset, Join(path, "sha256"));
            StorageKey(asset, Join(path, "key"));
            Url(asset, "url", Join(path, "url"), false);
            NonNegativeInt(asset.Get("triangles"), Join(path, "triangles"), false);

            var lods = ValidateLods(asset.Get("lods"), Join(path, "lods"));
            var platformMinLod = ValidatePlatformMinLod(asset.Get("platformMinLod"), Join(path, "platformMinLod"));

            var codecs = new List<string>();
            var codecsValue = asset.Get("textureCodecs");
            if (codecsValue != null)
            {
                var codecArray = codecsValue as JsonArray;
                if (codecArray == null)
                {
                    Add(Join(path, "textureCodecs"), TypeMessage("array", codecsValue), true);
                }
                else
                {
                    for (var i = 0; i < codecArray.Count; i++)
                    {
                        Enum(codecArray[i], Join(Join(path, "textureCodecs"), i), ManifestSchema.TextureCodecs);
                        var codec = codecArray[i] as JsonString;
                        if (codec != null) codecs.Add(codec.Value);
                    }
                }
            }

            var metadata = asset.Get("metadata");
            if (metadata != null) ValidateMetadata(metadata, Join(path, "metadata"));

            if (Issues.Count > before || lods == null) return null;
            return new ManifestAsset(asset, lods, platformMinLod, codecs);
        }

        List<LodVariant> ValidateLods(JsonValue value, string path)
        {
            var result = new List<LodVariant>();
            if (value == null) return result;
            var array = value as JsonArray;
            if (array == null)
            {
                Add(path, TypeMessage("array", value), true);
                return null;
            }
            var start = Issues.Count;
            var ok = true;
            for (var i = 0; i < array.Count; i++)
            {
                var variant = ValidateVariant(array[i], Join(path, i));
                if (variant == null) ok = false;
                else result.Add(variant);
            }
            if (AbortedUnder(path, start)) return null;

            // The list's own rule: one measure for every variant, thresholds strictly monotonic.
            string mode = null;
            var modeIndex = -1;
            var previous = -1;
            for (var i = 0; i < array.Count; i++)
            {
                var variant = (JsonObject)array[i];
                var measure = Measure(variant);
                if (measure == null) continue; // reported by the variant itself
                if (mode == null)
                {
                    mode = measure;
                    modeIndex = i;
                }
                else if (measure != mode)
                {
                    Add(Join(Join(path, i), measure), "uses " + measure + " but lods." + modeIndex + " uses " + mode + ": all variants of an asset use the same measure", false);
                    ok = false;
                    continue;
                }
                var current = ((JsonNumber)variant.Get(measure)).Value;
                if (previous >= 0)
                {
                    var before = ((JsonNumber)((JsonObject)array[previous]).Get(measure)).Value;
                    var ordered = measure == "switchDistance" ? current > before : current < before;
                    if (!ordered)
                    {
                        var shown = JsonWriter.FormatNumber(before);
                        Add(Join(Join(path, i), measure), measure == "switchDistance"
                            ? "must be greater than lods." + previous + ".switchDistance (" + shown + "): distances increase strictly, most detailed variant first"
                            : "must be less than lods." + previous + ".screenCoverage (" + shown + "): coverages decrease strictly, most detailed variant first", false);
                        ok = false;
                    }
                }
                previous = i;
            }
            return ok ? result : null;
        }

        static string Measure(JsonObject variant)
        {
            var hasDistance = variant.ContainsKey("switchDistance");
            var hasCoverage = variant.ContainsKey("screenCoverage");
            if (hasDistance == hasCoverage) return null;
            return hasDistance ? "switchDistance" : "screenCoverage";
        }

        LodVariant ValidateVariant(JsonValue value, string path)
        {
            var variant = ObjectValue(value, path);
            if (variant == null) return null;
            var before = Issues.Count;
            StorageKey(variant, Join(path, "key"));
            Url(variant, "url", Join(path, "url"), false);
            Sha256(variant, Join(path, "sha256"));
            NonNegativeInt(variant.Get("bytes"), Join(path, "bytes"), true);
            NonNegativeInt(variant.Get("triangles"), Join(path, "triangles"), true);
            var distancePath = Join(path, "switchDistance");
            var distance = FiniteNumber(variant.Get("switchDistance"), distancePath);
            if (distance.HasValue && distance.Value < 0) Add(distancePath, "must be >= 0", false);
            var coveragePath = Join(path, "screenCoverage");
            var coverage = FiniteNumber(variant.Get("screenCoverage"), coveragePath);
            if (coverage.HasValue && coverage.Value <= 0) Add(coveragePath, "must be > 0", false);
            if (coverage.HasValue && coverage.Value > 1) Add(coveragePath, "must be <= 1", false);
            if (!AbortedUnder(path, before))
            {
                var hasDistance = variant.ContainsKey("switchDistance");
                var hasCoverage = variant.ContainsKey("screenCoverage");
                if (hasDistance == hasCoverage)
                {
                    Add(path, hasDistance
                        ? "set exactly one of switchDistance or screenCoverage, not both"
                        : "set exactly one of switchDistance or screenCoverage", false);
                }
            }
            return Issues.Count > before ? null : new LodVariant(variant);
        }

        Dictionary<string, long> ValidatePlatformMinLod(JsonValue value, string path)
        {
            var result = new Dictionary<string, long>(StringComparer.Ordinal);
            if (value == null) return result;
            var record = ObjectValue(value, path, "record");
            if (record == null) return result;
            foreach (var member in record.Members)
            {
                if (!ManifestSchema.Platforms.Contains(member.Key))
                {
                    Add(path, "Unrecognized key: " + JsonWriter.Quote(member.Key), false);
                    continue;
                }
                var before = Issues.Count;
                NonNegativeInt(member.Value, Join(path, member.Key), true);
                if (Issues.Count == before) result[member.Key] = (long)((JsonNumber)member.Value).Value;
            }
            return result;
        }

        void ValidateMetadata(JsonValue value, string path)
        {
            var metadata = ObjectValue(value, path);
            if (metadata == null) return;
            StringField(metadata, "prompt", Join(path, "prompt"), false);
            StringField(metadata, "negativePrompt", Join(path, "negativePrompt"), false);
            StringArray(metadata.Get("tags"), Join(path, "tags"));
            var qualityPath = Join(path, "qualityRating");
            var quality = FiniteNumber(metadata.Get("qualityRating"), qualityPath);
            if (quality.HasValue && quality.Value < 0) Add(qualityPath, "must be >= 0", false);
            if (quality.HasValue && quality.Value > 5) Add(qualityPath, "must be <= 5", false);

            var version = metadata.Get("version");
            if (version != null && version.Kind != JsonKind.String)
            {
                var versionPath = Join(path, "version");
                var number = version as JsonNumber;
                if (number == null || double.IsInfinity(number.Value) || Math.Floor(number.Value) != number.Value)
                    Add(versionPath, "must be a string or an integer", true);
                else if (number.Value > 9007199254740991d)
                    Add(versionPath, "Too big: expected int to be <=9007199254740991", false);
                else if (number.Value < -9007199254740991d)
                    Add(versionPath, "Too small: expected int to be >=-9007199254740991", false);
            }

            var lineageValue = metadata.Get("lineage");
            if (lineageValue != null)
            {
                var lineagePath = Join(path, "lineage");
                var lineage = ObjectValue(lineageValue, lineagePath);
                if (lineage != null)
                {
                    StringArray(lineage.Get("parentIds"), Join(lineagePath, "parentIds"));
                    StringField(lineage, "pipeline", Join(lineagePath, "pipeline"), false);
                    StringArray(lineage.Get("steps"), Join(lineagePath, "steps"));
                }
            }
        }
    }
}
