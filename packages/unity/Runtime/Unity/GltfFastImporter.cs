using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using GLTFast;
using GLTFast.Logging;
using Kiln.Loader.Core;
using UnityEngine;

namespace Kiln.Loader
{
    /// <summary>
    /// Turns verified GLB bytes into a glTFast import with <c>GltfImport.Load(byte[], Uri, …)</c>: no
    /// second download, no Content-Type or extension sniffing (glTFast detects GLB by its magic), and
    /// presigned URLs never reach glTFast (it gets the URL without its query, only as a base for
    /// relative URIs, which a self-contained GLB does not have). A <c>CollectingLogger</c> is always
    /// passed (glTFast logs nothing otherwise); its errors become the <c>import_failed</c> message.
    /// </summary>
    public sealed class GltfFastImporter
    {
        readonly IDeferAgent _deferAgent;
        readonly ImportSettings _settings;
        readonly IKilnLogger _logger;

        /// <summary>Creates the importer. One defer agent is shared by every import, as glTFast recommends.</summary>
        public GltfFastImporter(IDeferAgent deferAgent, ImportSettings settings, IKilnLogger logger)
        {
            _deferAgent = deferAgent;
            _settings = settings;
            _logger = logger ?? NullKilnLogger.Instance;
        }

        /// <summary>Imports <paramref name="data"/>. The caller owns the result and must <c>Dispose()</c> it.</summary>
        /// <exception cref="LoadException"><c>import_failed</c> with glTFast's messages, or <c>aborted</c>.</exception>
        public async Task<GltfImport> ImportAsync(byte[] data, ResolvedAsset asset, CancellationToken cancellationToken)
        {
            var log = new CollectingLogger();
            var gltf = new GltfImport(null, _deferAgent, null, log);
            bool success;
            try
            {
                success = await gltf.Load(data, BaseUri(asset.Url), _settings, cancellationToken);
            }
            catch (OperationCanceledException error)
            {
                gltf.Dispose();
                throw new LoadException(ErrorCodes.Aborted, "import " + asset.CacheKey + ": aborted", null, error);
            }
            catch (Exception error)
            {
                gltf.Dispose();
                throw new LoadException(ErrorCodes.ImportFailed, "import " + asset.CacheKey + ": " + error.Message,
                    new Dictionary<string, object> { { "cacheKey", asset.CacheKey } }, error);
            }
            var messages = Forward(log, asset.CacheKey);
            if (!success)
            {
                gltf.Dispose();
                throw new LoadException(ErrorCodes.ImportFailed,
                    "import " + asset.CacheKey + ": glTFast could not load the file" + (messages.Count > 0 ? ": " + string.Join("; ", messages.ToArray()) : string.Empty),
                    new Dictionary<string, object> { { "cacheKey", asset.CacheKey }, { "messages", messages.ToArray() } });
            }
            return gltf;
        }

        /// <summary>The asset URL without its query string, as a base URI for glTFast (null if it does not parse).</summary>
        static Uri BaseUri(string url)
        {
            Uri uri;
            return Uri.TryCreate(CdnUrl.StripQuery(url), UriKind.Absolute, out uri) ? uri : null;
        }

        List<string> Forward(CollectingLogger log, string cacheKey)
        {
            var errors = new List<string>();
            if (log.Count == 0) return errors;
            foreach (var item in log.Items)
            {
                var text = item.ToString();
                switch (item.Type)
                {
                    case LogType.Error:
                    case LogType.Exception:
                    case LogType.Assert:
                        errors.Add(text);
                        _logger.Log(KilnLogLevel.Error, "import " + cacheKey + ": " + text);
                        break;
                    case LogType.Warning:
                        _logger.Log(KilnLogLevel.Warning, "import " + cacheKey + ": " + text);
                        break;
                    default:
                        _logger.Log(KilnLogLevel.Debug, "import " + cacheKey + ": " + text);
                        break;
                }
            }
            return errors.Distinct().ToList();
        }
    }
}
