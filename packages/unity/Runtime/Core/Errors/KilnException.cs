using System;
using System.Collections.Generic;
using System.Linq;

namespace Kiln.Loader.Core
{
    /// <summary>
    /// The stable error codes, identical to the TypeScript packages' (<c>@kiln/manifest</c>
    /// <c>error.code</c>, and <c>@kiln/storage</c>'s for the download failures they share). Match on
    /// <see cref="KilnException.Code"/>, not on messages. Each code belongs to exactly one exception
    /// class (<see cref="ExceptionTypeFor"/>).
    /// </summary>
    public static class ErrorCodes
    {
        /// <summary>Not JSON, not an object, a missing or malformed <c>manifestVersion</c>, or a field that breaks the schema.</summary>
        public const string ManifestInvalid = "manifest_invalid";
        /// <summary>A newer MAJOR than this reader, or an older MAJOR without a registered migration.</summary>
        public const string ManifestVersionUnsupported = "manifest_version_unsupported";
        /// <summary>No asset has the requested id.</summary>
        public const string AssetNotFound = "asset_not_found";
        /// <summary>An explicit level beyond the asset's LOD variants.</summary>
        public const string LodNotFound = "lod_not_found";
        /// <summary>The level has no <c>url</c> and there is no CDN base URL.</summary>
        public const string ManifestUnresolvable = "manifest_unresolvable";
        /// <summary>Invalid options given to a public method (negative measure, unknown platform, bad URL…).</summary>
        public const string InvalidInput = "invalid_input";

        /// <summary>The server answered 404 or 410 (as <c>@kiln/storage</c>'s <c>not_found</c>).</summary>
        public const string NotFound = "not_found";
        /// <summary>401, or 403 after the URL was refreshed (an expired or tampered signature; as <c>@kiln/storage</c>'s <c>access_denied</c>).</summary>
        public const string AccessDenied = "access_denied";
        /// <summary>The caller's CancellationToken fired (as <c>@kiln/storage</c>'s <c>aborted</c>).</summary>
        public const string Aborted = "aborted";
        /// <summary>Network errors, timeouts or 5xx/429 answers that outlasted the retries, or another 4xx answer.</summary>
        public const string DownloadFailed = "download_failed";
        /// <summary>The downloaded bytes do not match the manifest's <c>bytes</c> and <c>sha256</c>.</summary>
        public const string IntegrityMismatch = "integrity_mismatch";
        /// <summary>glTFast could not import the bytes (its log messages are in the message).</summary>
        public const string ImportFailed = "import_failed";
        /// <summary>A refreshed manifest no longer lists the same content (sha256) for the asset level.</summary>
        public const string AssetChanged = "asset_changed";

        static readonly Dictionary<string, Type> s_Types = new Dictionary<string, Type>(StringComparer.Ordinal)
        {
            { ManifestInvalid, typeof(ManifestException) },
            { ManifestVersionUnsupported, typeof(ManifestException) },
            { AssetNotFound, typeof(ResolveException) },
            { LodNotFound, typeof(ResolveException) },
            { ManifestUnresolvable, typeof(ResolveException) },
            { InvalidInput, typeof(KilnValidationException) },
            { NotFound, typeof(LoadException) },
            { AccessDenied, typeof(LoadException) },
            { Aborted, typeof(LoadException) },
            { DownloadFailed, typeof(LoadException) },
            { IntegrityMismatch, typeof(LoadException) },
            { ImportFailed, typeof(LoadException) },
            { AssetChanged, typeof(LoadException) },
        };

        /// <summary>Every code.</summary>
        public static IEnumerable<string> All { get { return s_Types.Keys.ToArray(); } }

        /// <summary>The exception class that carries <paramref name="code"/>, or null for an unknown code.</summary>
        public static Type ExceptionTypeFor(string code)
        {
            Type type;
            return code != null && s_Types.TryGetValue(code, out type) ? type : null;
        }

        internal static void Check(string code, Type type)
        {
            if (ExceptionTypeFor(code) != type)
                throw new ArgumentException("error code " + code + " does not belong to " + type.Name, "code");
        }
    }

    /// <summary>One problem found while validating input, with the dotted path of the offending field.</summary>
    public sealed class ValidationIssue
    {
        /// <summary>Creates an issue.</summary>
        public ValidationIssue(string path, string message)
        {
            Path = path ?? string.Empty;
            Message = message ?? string.Empty;
        }

        /// <summary>Dotted path such as <c>assets.0.sha256</c>; empty for the input itself.</summary>
        public string Path { get; private set; }
        /// <summary>What is wrong with the field.</summary>
        public string Message { get; private set; }

        /// <inheritdoc />
        public override string ToString()
        {
            return Path.Length == 0 ? Message : Path + ": " + Message;
        }
    }

    /// <summary>
    /// Base of every error Kiln throws on purpose: a stable, machine-readable <see cref="Code"/> and a
    /// message that names the operation and the offending input. Messages never contain a URL's query
    /// string (presigned URLs carry credentials there).
    /// </summary>
    public class KilnException : Exception
    {
        /// <summary>Creates the error.</summary>
        public KilnException(string code, string message, IDictionary<string, object> details = null, Exception innerException = null)
            : base(message, innerException)
        {
            if (string.IsNullOrEmpty(code)) throw new ArgumentException("code is required", "code");
            Code = code;
            Details = details == null
                ? new Dictionary<string, object>()
                : new Dictionary<string, object>(details);
        }

        /// <summary>Stable snake_case code; see <see cref="ErrorCodes"/>.</summary>
        public string Code { get; private set; }

        /// <summary>Structured context: the asset id, the level, the HTTP status…</summary>
        public IReadOnlyDictionary<string, object> Details { get; private set; }
    }

    /// <summary>Invalid options at a public entry point (<c>invalid_input</c>); <see cref="Issues"/> names every offending option.</summary>
    public sealed class KilnValidationException : KilnException
    {
        /// <summary>Creates the error.</summary>
        public KilnValidationException(string message, IList<ValidationIssue> issues, Exception innerException = null)
            : base(ErrorCodes.InvalidInput, message, null, innerException)
        {
            Issues = new List<ValidationIssue>(issues ?? new ValidationIssue[0]).AsReadOnly();
        }

        /// <summary>Every offending option.</summary>
        public IReadOnlyList<ValidationIssue> Issues { get; private set; }

        internal static KilnValidationException From(string prefix, IList<ValidationIssue> issues)
        {
            return new KilnValidationException(prefix + ": invalid options: " + string.Join("; ", issues.Select(i => i.ToString()).ToArray()), issues);
        }
    }

    /// <summary>
    /// A manifest was rejected: <c>manifest_invalid</c> (<see cref="Issues"/> names every offending
    /// field) or <c>manifest_version_unsupported</c>.
    /// </summary>
    public sealed class ManifestException : KilnException
    {
        /// <summary>Creates the error.</summary>
        public ManifestException(string code, string message, IList<ValidationIssue> issues = null, IDictionary<string, object> details = null, Exception innerException = null)
            : base(code, message, details, innerException)
        {
            ErrorCodes.Check(code, typeof(ManifestException));
            Issues = new List<ValidationIssue>(issues ?? new ValidationIssue[0]).AsReadOnly();
        }

        /// <summary>Every offending field, with its dotted path; empty when the problem is not one field's.</summary>
        public IReadOnlyList<ValidationIssue> Issues { get; private set; }
    }

    /// <summary>An asset of a valid manifest could not be resolved: <c>asset_not_found</c>, <c>lod_not_found</c> or <c>manifest_unresolvable</c>.</summary>
    public sealed class ResolveException : KilnException
    {
        /// <summary>Creates the error.</summary>
        public ResolveException(string code, string message, IDictionary<string, object> details = null)
            : base(code, message, details)
        {
            ErrorCodes.Check(code, typeof(ResolveException));
        }
    }

    /// <summary>
    /// Fetching or importing an asset failed: <c>not_found</c>, <c>access_denied</c>, <c>aborted</c>,
    /// <c>download_failed</c>, <c>integrity_mismatch</c>, <c>import_failed</c> or <c>asset_changed</c>.
    /// </summary>
    public sealed class LoadException : KilnException
    {
        /// <summary>Creates the error.</summary>
        public LoadException(string code, string message, IDictionary<string, object> details = null, Exception innerException = null)
            : base(code, message, details, innerException)
        {
            ErrorCodes.Check(code, typeof(LoadException));
        }
    }
}
