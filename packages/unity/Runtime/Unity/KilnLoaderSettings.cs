using System;
using System.Collections.Generic;
using Kiln.Loader.Core;
using UnityEngine;

namespace Kiln.Loader
{
    /// <summary>The platform whose LOD floor applies (<c>platformMinLod</c>).</summary>
    public enum KilnPlatformChoice
    {
        /// <summary>From <c>Application.platform</c> (<see cref="KilnPlatform.Current"/>).</summary>
        Auto,
        Mobile,
        Pc,
        Console,
        Web,
    }

    /// <summary>
    /// Loader settings as an asset (<c>Assets &gt; Create &gt; Kiln &gt; Loader Settings</c>). Every
    /// field has a working default; a <see cref="KilnAssetLoader"/> without settings uses them.
    /// </summary>
    [CreateAssetMenu(fileName = "KilnLoaderSettings", menuName = "Kiln/Loader Settings")]
    public sealed class KilnLoaderSettings : ScriptableObject
    {
        /// <summary>A request header sent with every download.</summary>
        [Serializable]
        public struct Header
        {
            /// <summary>Header name.</summary>
            public string name;
            /// <summary>Header value.</summary>
            public string value;
        }

        [Header("URLs")]
        [Tooltip("Replaces the manifest's cdnBaseUrl (a mirror). Leave empty to use the manifest's.")]
        public string cdnBaseUrlOverride = "";
        [Tooltip("Headers sent with every request (Authorization, CDN keys). Presigned URLs need none.")]
        public List<Header> headers = new List<Header>();

        [Header("Retries")]
        [Tooltip("Attempts per download, the first included.")]
        public int maxAttempts = 3;
        [Tooltip("Base of the exponential backoff, in milliseconds (full jitter).")]
        public int baseDelayMs = 200;
        [Tooltip("Longest wait between attempts, in milliseconds.")]
        public int maxDelayMs = 5000;
        [Tooltip("Timeout of one request, in seconds (0: none).")]
        public int requestTimeoutSeconds = 60;
        [Tooltip("A URL expiring within this many seconds is refreshed before use.")]
        public int urlExpiryMarginSeconds = 30;

        [Header("Disk cache")]
        [Tooltip("Keep verified downloads under Application.persistentDataPath, keyed by SHA-256. Off by default on WebGL (the browser's HTTP cache applies there).")]
        public bool diskCache = true;
        [Tooltip("Most megabytes the disk cache holds; least recently used files are evicted.")]
        public int diskCacheBudgetMegabytes = 512;
        [Tooltip("Re-hash cached files when reading them (catches disk corruption).")]
        public bool verifyCacheReads = true;

        [Header("Level of detail")]
        [Tooltip("Platform whose LOD floor applies.")]
        public KilnPlatformChoice platform = KilnPlatformChoice.Auto;
        [Tooltip("Vertical field of view used to turn manifest switch distances into LODGroup screen heights.")]
        public float fieldOfViewDegrees = 60f;
        [Tooltip("Screen height below which the last LOD is culled (0: never).")]
        public float cullBelowScreenHeight = 0f;

        [Header("Import")]
        [Tooltip("Spread glTFast's work over frames (stable frame rate) instead of loading as fast as possible.")]
        public bool stableFrameRate = true;
        [Tooltip("Generate mipmaps for PNG/JPEG textures (slow; KTX2 textures carry their own).")]
        public bool generateMipMaps = false;

        [Header("Logging")]
        public KilnLogLevel logLevel = KilnLogLevel.Warning;

        /// <summary>The retry policy these settings describe.</summary>
        public RetryPolicy CreateRetryPolicy()
        {
            return new RetryPolicy(Math.Max(1, maxAttempts), TimeSpan.FromMilliseconds(Math.Max(0, baseDelayMs)), TimeSpan.FromMilliseconds(Math.Max(0, maxDelayMs)));
        }

        /// <summary>The headers as a dictionary (empty names skipped).</summary>
        public IDictionary<string, string> HeaderDictionary()
        {
            var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            if (headers == null) return result;
            foreach (var header in headers)
            {
                if (!string.IsNullOrEmpty(header.name)) result[header.name] = header.value ?? string.Empty;
            }
            return result;
        }

        /// <summary>The platform name (<see cref="Platforms"/>) these settings select.</summary>
        public string PlatformName()
        {
            switch (platform)
            {
                case KilnPlatformChoice.Mobile: return Platforms.Mobile;
                case KilnPlatformChoice.Pc: return Platforms.Pc;
                case KilnPlatformChoice.Console: return Platforms.Console;
                case KilnPlatformChoice.Web: return Platforms.Web;
                default: return KilnPlatform.Current;
            }
        }
    }

    /// <summary>The Kiln platform name of the running player.</summary>
    public static class KilnPlatform
    {
        /// <summary><c>mobile</c>, <c>console</c>, <c>web</c> or <c>pc</c>, from <c>Application.platform</c>.</summary>
        public static string Current
        {
            get { return FromRuntimePlatform(Application.platform); }
        }

        /// <summary>Maps a <c>RuntimePlatform</c> to a manifest platform name.</summary>
        public static string FromRuntimePlatform(RuntimePlatform runtimePlatform)
        {
            switch (runtimePlatform)
            {
                case RuntimePlatform.Android:
                case RuntimePlatform.IPhonePlayer:
                    return Platforms.Mobile;
                case RuntimePlatform.WebGLPlayer:
                    return Platforms.Web;
                case RuntimePlatform.PS4:
                case RuntimePlatform.PS5:
                case RuntimePlatform.XboxOne:
                case RuntimePlatform.GameCoreXboxOne:
                case RuntimePlatform.GameCoreXboxSeries:
                case RuntimePlatform.Switch:
                    return Platforms.Console;
                default:
                    return Platforms.Pc;
            }
        }
    }

    /// <summary>Optional decoder packages found in the project (asmdef <c>versionDefines</c>).</summary>
    public static class KilnDecoders
    {
        /// <summary>KTX for Unity (<c>com.unity.cloud.ktx</c>): KTX2 / Basis Universal textures.</summary>
        public static bool Ktx
        {
#if KILN_KTX
            get { return true; }
#else
            get { return false; }
#endif
        }

        /// <summary>Draco for Unity (<c>com.unity.cloud.draco</c>): <c>KHR_draco_mesh_compression</c>.</summary>
        public static bool Draco
        {
#if KILN_DRACO
            get { return true; }
#else
            get { return false; }
#endif
        }

        /// <summary>meshoptimizer decompression (<c>com.unity.meshopt.decompress</c>): <c>EXT_meshopt_compression</c>.</summary>
        public static bool Meshopt
        {
#if KILN_MESHOPT
            get { return true; }
#else
            get { return false; }
#endif
        }

        /// <summary>One line for logs: which decoders are present.</summary>
        public static string Summary()
        {
            return "decoders: KTX " + (Ktx ? "yes" : "no") + ", Draco " + (Draco ? "yes" : "no") + ", meshopt " + (Meshopt ? "yes" : "no");
        }
    }
}
