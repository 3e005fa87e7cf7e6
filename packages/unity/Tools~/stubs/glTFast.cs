// Compile-only stub of the glTFast 6.x APIs that com.kiln.loader calls (assembly "glTFast",
// namespace GLTFast), written by hand from the package's API reference,
// https://docs.unity3d.com/Packages/com.unity.cloud.gltfast@6.9/api/index.html (6.0 to 6.16 have
// these members with these signatures; 7.0 moves them to Unity.Cloud.Gltfast with [MovedFrom]).
// Signatures only: every body throws, and members Kiln does not call are left out. This is not
// glTFast's code (its licence does not allow vendoring it); do not ship it.
using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using UnityEngine;

namespace GLTFast
{
    static class Stub
    {
        public static Exception Fail() { return new NotSupportedException("compile-only glTFast stub"); }
    }

    // https://docs.unity3d.com/Packages/com.unity.cloud.gltfast@6.9/api/GLTFast.ImportSettings.html
    [Serializable]
    public class ImportSettings
    {
        // public bool GenerateMipMaps { get; set; }
        public bool GenerateMipMaps { get { throw Stub.Fail(); } set { throw Stub.Fail(); } }
    }

    // https://docs.unity3d.com/Packages/com.unity.cloud.gltfast@6.9/api/GLTFast.IDeferAgent.html
    // (its members ShouldDefer/BreakPoint are not called by Kiln)
    public interface IDeferAgent
    {
    }

    // https://docs.unity3d.com/Packages/com.unity.cloud.gltfast@6.9/api/GLTFast.UninterruptedDeferAgent.html
    public class UninterruptedDeferAgent : IDeferAgent
    {
    }

    // https://docs.unity3d.com/Packages/com.unity.cloud.gltfast@6.9/api/GLTFast.TimeBudgetPerFrameDeferAgent.html
    // public class TimeBudgetPerFrameDeferAgent : MonoBehaviour, IDeferAgent
    public class TimeBudgetPerFrameDeferAgent : MonoBehaviour, IDeferAgent
    {
    }

    // https://docs.unity3d.com/Packages/com.unity.cloud.gltfast@6.9/api/GLTFast.GltfImportBase.html
    public abstract class GltfImportBase : IDisposable
    {
        // GltfImportBase.Load(byte[], Uri, ImportSettings, CancellationToken):
        // public Task<bool> Load(byte[] data, Uri uri = null, ImportSettings importSettings = null, CancellationToken cancellationToken = default)
        public Task<bool> Load(byte[] data, Uri uri = null, ImportSettings importSettings = null, CancellationToken cancellationToken = default(CancellationToken)) { throw Stub.Fail(); }

        // GltfImportBase.InstantiateMainSceneAsync(Transform, CancellationToken):
        // public Task<bool> InstantiateMainSceneAsync(Transform parent, CancellationToken cancellationToken = default)
        public Task<bool> InstantiateMainSceneAsync(Transform parent, CancellationToken cancellationToken = default(CancellationToken)) { throw Stub.Fail(); }

        // GltfImportBase.Dispose(): public void Dispose()
        public void Dispose() { throw Stub.Fail(); }
    }

    // https://docs.unity3d.com/Packages/com.unity.cloud.gltfast@6.9/api/GLTFast.GltfImport.html
    // (in glTFast: GltfImport : GltfImportBase<Root> : GltfImportBase)
    public class GltfImport : GltfImportBase
    {
        // public GltfImport(IDownloadProvider downloadProvider = null, IDeferAgent deferAgent = null,
        //                   IMaterialGenerator materialGenerator = null, ICodeLogger logger = null)
        public GltfImport(
            Loading.IDownloadProvider downloadProvider = null,
            IDeferAgent deferAgent = null,
            Materials.IMaterialGenerator materialGenerator = null,
            Logging.ICodeLogger logger = null)
        {
            throw Stub.Fail();
        }
    }
}

namespace GLTFast.Loading
{
    // https://docs.unity3d.com/Packages/com.unity.cloud.gltfast@6.9/api/GLTFast.Loading.IDownloadProvider.html
    // (Kiln passes null: it downloads the bytes itself)
    public interface IDownloadProvider
    {
    }
}

namespace GLTFast.Materials
{
    // https://docs.unity3d.com/Packages/com.unity.cloud.gltfast@6.9/api/GLTFast.Materials.IMaterialGenerator.html
    // (Kiln passes null: glTFast picks the render pipeline's generator)
    public interface IMaterialGenerator
    {
    }
}

namespace GLTFast.Logging
{
    // https://docs.unity3d.com/Packages/com.unity.cloud.gltfast@6.9/api/GLTFast.Logging.ICodeLogger.html
    // (its Error/Warning/Info members are called by glTFast, not by Kiln)
    public interface ICodeLogger
    {
    }

    // https://docs.unity3d.com/Packages/com.unity.cloud.gltfast@6.9/api/GLTFast.Logging.LogCode.html
    // (values not used by Kiln)
    public enum LogCode
    {
        None,
    }

    // https://docs.unity3d.com/Packages/com.unity.cloud.gltfast@6.9/api/GLTFast.Logging.LogItem.html
    [Serializable]
    public class LogItem
    {
        // public LogType Type { get; }
        public LogType Type { get { throw Stub.Fail(); } }
        // public LogCode Code { get; }
        public LogCode Code { get { throw Stub.Fail(); } }
        // public string[] Messages { get; }
        public string[] Messages { get { throw Stub.Fail(); } }
        // public override string ToString() — the full log message
        public override string ToString() { throw Stub.Fail(); }
    }

    // https://docs.unity3d.com/Packages/com.unity.cloud.gltfast@6.9/api/GLTFast.Logging.CollectingLogger.html
    [Serializable]
    public class CollectingLogger : ICodeLogger
    {
        // public CollectingLogger() (implicit)
        // public int Count { get; }
        public int Count { get { throw Stub.Fail(); } }
        // public IEnumerable<LogItem> Items { get; }
        public IEnumerable<LogItem> Items { get { throw Stub.Fail(); } }
    }
}
