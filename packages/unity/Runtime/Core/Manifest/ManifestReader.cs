using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text.RegularExpressions;
using Kiln.Loader.Core.Json;

namespace Kiln.Loader.Core
{
    /// <summary>A step that migrates a raw manifest object of MAJOR <c>N</c> to MAJOR <c>N + 1</c>; it must not mutate its input.</summary>
    public delegate JsonObject ManifestMigration(JsonObject manifest);

    /// <summary>Options of <see cref="ManifestReader"/>.</summary>
    public sealed class ManifestReadOptions
    {
        /// <summary>
        /// Migration steps keyed by the MAJOR they migrate from. Default (null):
        /// <see cref="ManifestVersions.Migrations"/>, empty today (MAJOR 1 is the first).
        /// </summary>
        public IDictionary<int, ManifestMigration> Migrations { get; set; }
    }

    /// <summary>The manifest version rule, shared with <c>@kiln/manifest</c>.</summary>
    public static class ManifestVersions
    {
        /// <summary>The version this reader writes and reads: <c>"1.0"</c>.</summary>
        public const string Current = "1.0";
        /// <summary>The MAJOR of <see cref="Current"/>.</summary>
        public const int CurrentMajor = 1;

        /// <summary>
        /// The built-in migrations, keyed by the MAJOR they migrate from. Empty: MAJOR 1 is the first.
        /// When MAJOR 2 ships, the step 1 → 2 is added here and in TypeScript's <c>MANIFEST_MIGRATIONS</c>.
        /// </summary>
        public static readonly IDictionary<int, ManifestMigration> Migrations = new Dictionary<int, ManifestMigration>();

        /// <summary>
        /// Parses <c>"MAJOR.MINOR"</c> (decimal, no leading zeros, no sign, safe integers). False for
        /// anything else, including a JSON number such as <c>1.0</c>.
        /// </summary>
        public static bool TryParse(JsonValue value, out long major, out long minor)
        {
            major = 0;
            minor = 0;
            var text = value as JsonString;
            if (text == null) return false;
            var match = VersionPattern.Match(text.Value);
            if (!match.Success) return false;
            return TryParseSafe(match.Groups[1].Value, out major) && TryParseSafe(match.Groups[2].Value, out minor);
        }

        static readonly Regex VersionPattern = new Regex(@"\A(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\z", RegexOptions.CultureInvariant);

        static bool TryParseSafe(string digits, out long value)
        {
            value = 0;
            if (digits.Length > 16) return false;
            value = long.Parse(digits, CultureInfo.InvariantCulture);
            return value <= 9007199254740991L;
        }
    }

    /// <summary>
    /// Reads a Kiln manifest exactly like <c>@kiln/manifest</c>'s <c>parseManifest</c>: JSON text
    /// (strict, see <see cref="JsonReader"/>) or an already parsed object; the version is checked and
    /// older MAJORs migrated first; then every field is validated, and every problem reported with
    /// its dotted path. Unknown fields are kept.
    /// </summary>
    public static class ManifestReader
    {
        const string Prefix = "ManifestReader.Parse";

        /// <summary>Reads manifest JSON text.</summary>
        /// <exception cref="ManifestException"><c>manifest_invalid</c> (not JSON, not an object, a bad field) or <c>manifest_version_unsupported</c>.</exception>
        public static KilnManifest Parse(string json, ManifestReadOptions options = null)
        {
            if (json == null) throw new ArgumentNullException("json");
            JsonValue value;
            try
            {
                value = JsonReader.Parse(json);
            }
            catch (JsonException error)
            {
                var message = "not valid JSON (" + error.Message + ")";
                throw new ManifestException(ErrorCodes.ManifestInvalid, Prefix + ": invalid manifest: " + message,
                    new[] { new ValidationIssue(string.Empty, message) }, null, error);
            }
            return Parse(value, options);
        }

        /// <summary>Reads an already parsed manifest value. The value is not modified.</summary>
        /// <exception cref="ManifestException"><c>manifest_invalid</c> or <c>manifest_version_unsupported</c>.</exception>
        public static KilnManifest Parse(JsonValue value, ManifestReadOptions options = null)
        {
            if (value == null) throw new ArgumentNullException("value");
            var obj = value as JsonObject;
            if (obj == null)
            {
                const string message = "expected a manifest object or its JSON text";
                throw new ManifestException(ErrorCodes.ManifestInvalid, Prefix + ": invalid manifest: " + message,
                    new[] { new ValidationIssue(string.Empty, message) });
            }
            var migrations = options != null && options.Migrations != null ? options.Migrations : ManifestVersions.Migrations;
            var migrated = Migrate(obj, migrations);
            return Validate(migrated.DeepClone());
        }

        /// <summary>
        /// <see cref="Parse(string, ManifestReadOptions)"/> that returns false and the error instead of throwing.
        /// </summary>
        public static bool TryParse(string json, out KilnManifest manifest, out ManifestException error, ManifestReadOptions options = null)
        {
            try
            {
                manifest = Parse(json, options);
                error = null;
                return true;
            }
            catch (ManifestException e)
            {
                manifest = null;
                error = e;
                return false;
            }
        }

        /// <summary>
        /// Brings a raw manifest object to the current MAJOR without validating its other fields, like
        /// <c>migrateManifest</c>. A manifest of the current MAJOR (any MINOR) is returned as is.
        /// </summary>
        public static JsonObject Migrate(JsonObject manifest, IDictionary<int, ManifestMigration> migrations)
        {
            if (manifest == null) throw new ArgumentNullException("manifest");
            if (migrations == null) migrations = ManifestVersions.Migrations;
            var raw = manifest.Get("manifestVersion");
            long major;
            long minor;
            if (!ManifestVersions.TryParse(raw, out major, out minor))
            {
                var message = raw == null
                    ? "required: a \"MAJOR.MINOR\" string such as \"" + ManifestVersions.Current + "\""
                    : "must be a \"MAJOR.MINOR\" string such as \"" + ManifestVersions.Current + "\", got " + Describe(raw);
                throw new ManifestException(ErrorCodes.ManifestInvalid, Prefix + ": invalid manifest: manifestVersion: " + message,
                    new[] { new ValidationIssue("manifestVersion", message) });
            }
            var version = ((JsonString)raw).Value;
            var details = new Dictionary<string, object> { { "manifestVersion", version }, { "supportedMajor", ManifestVersions.CurrentMajor } };
            if (major > ManifestVersions.CurrentMajor)
            {
                throw new ManifestException(ErrorCodes.ManifestVersionUnsupported,
                    Prefix + ": manifest version " + version + " is newer than this reader supports (" + ManifestVersions.CurrentMajor + ".x); upgrade the Kiln Unity package",
                    null, details);
            }
            var current = manifest;
            for (var from = (int)major; from < ManifestVersions.CurrentMajor; from++)
            {
                ManifestMigration step;
                if (!migrations.TryGetValue(from, out step) || step == null)
                {
                    throw new ManifestException(ErrorCodes.ManifestVersionUnsupported,
                        Prefix + ": manifest version " + version + " cannot be read: no migration from MAJOR " + from + " to " + (from + 1) + " is registered",
                        null, details);
                }
                JsonObject next;
                try
                {
                    next = step(current);
                }
                catch (Exception error)
                {
                    throw new ManifestException(ErrorCodes.ManifestInvalid,
                        Prefix + ": invalid manifest: migration from MAJOR " + from + " to " + (from + 1) + " failed: " + error.Message,
                        new[] { new ValidationIssue(string.Empty, error.Message) }, null, error);
                }
                if (next == null)
                {
                    throw new ManifestException(ErrorCodes.ManifestInvalid,
                        Prefix + ": invalid manifest: migration from MAJOR " + from + " to " + (from + 1) + " did not return an object",
                        new[] { new ValidationIssue(string.Empty, "migration did not return an object") });
                }
                next = next.DeepClone();
                next.Set("manifestVersion", new JsonString((from + 1) + ".0"));
                current = next;
            }
            return current;
        }

        static string Describe(JsonValue value)
        {
            switch (value.Kind)
            {
                case JsonKind.String: return JsonWriter.Quote(((JsonString)value).Value);
                case JsonKind.Null: return "null";
                case JsonKind.Boolean: return ((JsonBoolean)value).Value ? "true" : "false";
                case JsonKind.Number: return JsonWriter.FormatNumber(((JsonNumber)value).Value);
                case JsonKind.Array: return "an array";
                default: return "a value of type object";
            }
        }

        static KilnManifest Validate(JsonObject root)
        {
            var validator = new ManifestValidator();
            var assets = validator.ValidateManifest(root);
            if (validator.Issues.Count > 0)
            {
                var issues = validator.Issues.Select(i => new ValidationIssue(i.Path, i.Message)).ToList();
                var summary = string.Join("; ", issues.Select(i => i.ToString()).ToArray());
                throw new ManifestException(ErrorCodes.ManifestInvalid, Prefix + ": invalid manifest: " + summary, issues);
            }
            return new KilnManifest(root, assets);
        }
    }
}
