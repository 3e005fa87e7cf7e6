using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Kiln.Loader.Core;
using NUnit.Framework;
using UnityEngine;
using UnityEngine.TestTools;

namespace Kiln.Loader.Tests
{
    /// <summary>
    /// PlayMode tests of the glue with real glTFast: they need a Unity Editor (Test Runner or
    /// <c>-batchmode -runTests -testPlatform PlayMode</c>). In the Kiln repository they are only
    /// compiled, against stubs. The network is replaced by an in-memory transport; the GLBs are
    /// built here, so no fixture files are needed.
    /// </summary>
    public class KilnLoaderPlayModeTests
    {
        /// <summary>A self-contained GLB of one triangle with <paramref name="triangleScale"/> as its size.</summary>
        public static byte[] TriangleGlb(float triangleScale)
        {
            var positions = new[] { 0f, 0f, 0f, triangleScale, 0f, 0f, 0f, triangleScale, 0f };
            var bin = new byte[positions.Length * 4];
            Buffer.BlockCopy(positions, 0, bin, 0, bin.Length);
            var json = "{\"asset\":{\"version\":\"2.0\"},\"scene\":0,\"scenes\":[{\"nodes\":[0]}],\"nodes\":[{\"mesh\":0}],"
                + "\"meshes\":[{\"primitives\":[{\"attributes\":{\"POSITION\":0}}]}],"
                + "\"accessors\":[{\"bufferView\":0,\"componentType\":5126,\"count\":3,\"type\":\"VEC3\",\"min\":[0,0,0],\"max\":["
                + triangleScale.ToString(System.Globalization.CultureInfo.InvariantCulture) + "," + triangleScale.ToString(System.Globalization.CultureInfo.InvariantCulture) + ",0]}],"
                + "\"bufferViews\":[{\"buffer\":0,\"byteLength\":" + bin.Length + "}],\"buffers\":[{\"byteLength\":" + bin.Length + "}]}";
            var jsonBytes = Encoding.UTF8.GetBytes(json);
            var jsonPadded = (jsonBytes.Length + 3) & ~3;
            var binPadded = (bin.Length + 3) & ~3;
            var total = 12 + 8 + jsonPadded + 8 + binPadded;
            using (var stream = new MemoryStream(total))
            using (var writer = new BinaryWriter(stream))
            {
                writer.Write(0x46546C67u); // "glTF"
                writer.Write(2u);
                writer.Write((uint)total);
                writer.Write((uint)jsonPadded);
                writer.Write(0x4E4F534Au); // "JSON"
                writer.Write(jsonBytes);
                for (var i = jsonBytes.Length; i < jsonPadded; i++) writer.Write((byte)0x20);
                writer.Write((uint)binPadded);
                writer.Write(0x004E4942u); // "BIN\0"
                writer.Write(bin);
                for (var i = bin.Length; i < binPadded; i++) writer.Write((byte)0);
                return stream.ToArray();
            }
        }

        sealed class MemoryTransport : ITransport
        {
            public readonly Dictionary<string, byte[]> Files = new Dictionary<string, byte[]>();
            public int Requests;

            public Task<TransportResponse> GetAsync(TransportRequest request, CancellationToken cancellationToken)
            {
                Requests++;
                byte[] body;
                var path = CdnUrl.StripQuery(request.Url);
                return Task.FromResult(Files.TryGetValue(path, out body)
                    ? new TransportResponse { Status = 200, Body = body }
                    : new TransportResponse { Status = 404 });
            }
        }

        static IEnumerator Await(Task task)
        {
            while (!task.IsCompleted) yield return null;
            if (task.IsFaulted) throw task.Exception.InnerException;
        }

        static string Manifest(IList<byte[]> levels)
        {
            var lods = new StringBuilder();
            for (var i = 1; i < levels.Count; i++)
            {
                if (i > 1) lods.Append(',');
                lods.Append("{\"key\":\"t/tri.lod" + i + ".glb\",\"sha256\":\"" + Integrity.Sha256Hex(levels[i]) + "\",\"bytes\":" + levels[i].Length
                    + ",\"triangles\":1,\"switchDistance\":" + (10 * i) + "}");
            }
            return "{\"manifestVersion\":\"1.0\",\"tenantId\":\"t\",\"generatedAt\":\"2025-01-31T12:00:00Z\",\"cdnBaseUrl\":\"https://cdn.test\","
                + "\"assets\":[{\"id\":\"tri\",\"type\":\"model_3d\",\"contentType\":\"model/gltf-binary\",\"bytes\":" + levels[0].Length
                + ",\"sha256\":\"" + Integrity.Sha256Hex(levels[0]) + "\",\"key\":\"t/tri.glb\",\"triangles\":1,\"lods\":[" + lods + "]}]}";
        }

        static KilnLoader Loader(MemoryTransport transport)
        {
            var settings = ScriptableObject.CreateInstance<KilnLoaderSettings>();
            settings.diskCache = false;
            settings.platform = KilnPlatformChoice.Pc;
            return new KilnLoader(settings, new KilnLoaderOptions { Transport = transport });
        }

        [UnityTest]
        public IEnumerator ImportsAGlbFromBytesAndReleasesItOnDispose()
        {
            var glb = TriangleGlb(1f);
            var transport = new MemoryTransport();
            transport.Files["https://cdn.test/t/tri.glb"] = glb;
            var loader = Loader(transport);
            var manifest = ManifestReader.Parse(Manifest(new[] { glb }));
            var parent = new GameObject("parent");
            var task = loader.InstantiateAsync(manifest, "tri", parent.transform, new LoadRequest(), CancellationToken.None);
            yield return Await(task);
            var instance = task.Result;
            var filter = instance.Root.GetComponentInChildren<MeshFilter>();
            Assert.IsNotNull(filter);
            Assert.AreEqual(3, filter.sharedMesh.vertexCount);
            Assert.AreEqual(1, loader.LiveImports);
            instance.Dispose();
            Assert.AreEqual(0, loader.LiveImports);
            loader.Dispose();
            UnityEngine.Object.Destroy(parent);
        }

        [UnityTest]
        public IEnumerator BuildsALodGroupFromTheManifestVariants()
        {
            var levels = new[] { TriangleGlb(2f), TriangleGlb(1f), TriangleGlb(0.5f) };
            var transport = new MemoryTransport();
            transport.Files["https://cdn.test/t/tri.glb"] = levels[0];
            transport.Files["https://cdn.test/t/tri.lod1.glb"] = levels[1];
            transport.Files["https://cdn.test/t/tri.lod2.glb"] = levels[2];
            var loader = Loader(transport);
            var manifest = ManifestReader.Parse(Manifest(levels));
            var task = loader.InstantiateWithLodGroupAsync(manifest, "tri", null, CancellationToken.None);
            yield return Await(task);
            var instance = task.Result;
            Assert.IsNotNull(instance.LodGroup);
            var lods = instance.LodGroup.GetLODs();
            Assert.AreEqual(3, lods.Length);
            Assert.Greater(lods[0].screenRelativeTransitionHeight, lods[1].screenRelativeTransitionHeight);
            Assert.AreEqual(1, lods[2].renderers.Length);
            instance.Dispose();
            loader.Dispose();
        }

        [UnityTest]
        public IEnumerator RejectsBytesThatDoNotMatchTheManifest()
        {
            var glb = TriangleGlb(1f);
            var transport = new MemoryTransport();
            transport.Files["https://cdn.test/t/tri.glb"] = TriangleGlb(3f);
            var loader = Loader(transport);
            var manifest = ManifestReader.Parse(Manifest(new[] { glb }));
            var task = loader.InstantiateAsync(manifest, "tri", null, new LoadRequest(), CancellationToken.None);
            while (!task.IsCompleted) yield return null;
            Assert.IsTrue(task.IsFaulted);
            var error = task.Exception.InnerException as LoadException;
            Assert.IsNotNull(error);
            Assert.AreEqual(ErrorCodes.IntegrityMismatch, error.Code);
            Assert.AreEqual(3, transport.Requests, "retried before giving up");
            loader.Dispose();
        }
    }
}
