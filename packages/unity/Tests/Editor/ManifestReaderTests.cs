using System.Collections.Generic;
using System.Linq;
using Kiln.Loader.Core.Json;
using NUnit.Framework;

namespace Kiln.Loader.Core.Tests
{
    static class Manifests
    {
        public const string ShaA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        public const string ShaB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
        public const string ShaC = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";

        /// <summary>A valid manifest: "chair" with two distance LODs, "rock" with two coverage LODs. <paramref name="patch"/> edits the JSON text.</summary>
        public static string Text(string cdn = "\"https://cdn.example.com/kiln\"", string chairExtra = "", string rootExtra = "")
        {
            return "{\"manifestVersion\":\"1.0\",\"tenantId\":\"acme\",\"generatedAt\":\"2025-01-31T12:00:00Z\""
                + (cdn == null ? "" : ",\"cdnBaseUrl\":" + cdn) + rootExtra + ",\"assets\":["
                + "{\"id\":\"chair\",\"type\":\"model_3d\",\"contentType\":\"model/gltf-binary\",\"bytes\":1000,\"sha256\":\"" + ShaA + "\",\"key\":\"acme/chair/lod0.glb\",\"triangles\":10000" + chairExtra + ","
                + "\"lods\":[{\"key\":\"acme/chair/lod1.glb\",\"sha256\":\"" + ShaB + "\",\"bytes\":500,\"triangles\":5000,\"switchDistance\":10},"
                + "{\"key\":\"acme/chair/lod2.glb\",\"sha256\":\"" + ShaC + "\",\"bytes\":200,\"triangles\":1000,\"switchDistance\":50}]},"
                + "{\"id\":\"rock\",\"type\":\"model_3d\",\"contentType\":\"model/gltf-binary\",\"bytes\":900,\"sha256\":\"" + ShaA + "\",\"key\":\"acme/rock/lod0.glb\","
                + "\"lods\":[{\"key\":\"acme/rock/lod1.glb\",\"sha256\":\"" + ShaB + "\",\"bytes\":400,\"triangles\":400,\"screenCoverage\":0.5},"
                + "{\"key\":\"acme/rock/lod2.glb\",\"sha256\":\"" + ShaC + "\",\"bytes\":100,\"triangles\":40,\"screenCoverage\":0.1}]}]}";
        }

        public static KilnManifest Parse(string cdn = "\"https://cdn.example.com/kiln\"", string chairExtra = "", string rootExtra = "")
        {
            return ManifestReader.Parse(Text(cdn, chairExtra, rootExtra));
        }

        public static string[] IssuePaths(string json)
        {
            var error = Assert.Throws<ManifestException>(() => ManifestReader.Parse(json));
            return error.Issues.Select(i => i.Path).ToArray();
        }
    }

    [TestFixture]
    public class ManifestReaderTests
    {
        [Test]
        public void ReadsTheTypedFields()
        {
            var manifest = Manifests.Parse(chairExtra: ",\"platformMinLod\":{\"mobile\":2},\"textureCodecs\":[\"ktx2-etc1s\"],\"metadata\":{\"prompt\":\"oak\"}");
            Assert.AreEqual("1.0", manifest.ManifestVersion);
            Assert.AreEqual("acme", manifest.TenantId);
            Assert.IsNull(manifest.RunId);
            Assert.AreEqual("https://cdn.example.com/kiln", manifest.CdnBaseUrl);
            var chair = manifest.FindAsset("chair");
            Assert.AreEqual(1000L, chair.Bytes);
            Assert.AreEqual(10000L, chair.Triangles);
            Assert.AreEqual(2, chair.Lods.Count);
            Assert.AreEqual(10d, chair.Lods[0].SwitchDistance);
            Assert.IsNull(chair.Lods[0].ScreenCoverage);
            Assert.AreEqual(2L, chair.PlatformMinLod["mobile"]);
            CollectionAssert.AreEqual(new[] { "ktx2-etc1s" }, chair.TextureCodecs.ToArray());
            Assert.AreEqual("oak", ((JsonString)chair.Metadata.Get("prompt")).Value);
            Assert.AreSame(chair.Lods[1], chair.Level(2));
            Assert.IsNull(manifest.FindAsset("Chair"), "ids are case-sensitive");
        }

        [Test]
        public void RejectsTextThatIsNotJsonWithThePosition()
        {
            var error = Assert.Throws<ManifestException>(() => ManifestReader.Parse("{\"manifestVersion\": \"1.0\",}"));
            Assert.AreEqual(ErrorCodes.ManifestInvalid, error.Code);
            StringAssert.Contains("not valid JSON", error.Message);
            StringAssert.Contains("line 1, column 27", error.Message);
            Assert.IsInstanceOf<JsonException>(error.InnerException);
            CollectionAssert.AreEqual(new[] { "" }, error.Issues.Select(i => i.Path).ToArray());
        }

        [Test]
        public void ReportsEveryBadFieldAtOnce()
        {
            var json = Manifests.Text(chairExtra: "").Replace("\"bytes\":1000", "\"bytes\":-1").Replace("\"tenantId\":\"acme\"", "\"tenantId\":\"\"");
            var paths = Manifests.IssuePaths(json);
            CollectionAssert.AreEquivalent(new[] { "tenantId", "assets.0.bytes" }, paths);
        }

        [Test]
        public void NamesTheTypeOfAWrongValueLikeZod()
        {
            var error = Assert.Throws<ManifestException>(() => ManifestReader.Parse(Manifests.Text(rootExtra: ",\"runId\":null")));
            Assert.AreEqual("runId", error.Issues.Single().Path);
            Assert.AreEqual("Invalid input: expected string, received null", error.Issues.Single().Message);
        }

        [Test]
        public void KeepsUnknownFieldsAndWritesThemBack()
        {
            var manifest = Manifests.Parse(chairExtra: ",\"futureField\":{\"x\":[1,2]}", rootExtra: ",\"extra\":true");
            var reread = (JsonObject)JsonReader.Parse(manifest.ToJson());
            Assert.AreEqual("{\"x\":[1,2]}", JsonWriter.Write(VectorFiles.At(reread, "assets.0.futureField")));
            Assert.AreSame(JsonBoolean.True, reread.Get("extra"));
        }

        [Test]
        public void NormalisesUrlsAsZodOutputsThem()
        {
            var manifest = Manifests.Parse(cdn: "\"  https://cdn.example.com/kiln \"", chairExtra: ",\"url\":\"https://x.example/a\\tb.glb\"");
            Assert.AreEqual("https://cdn.example.com/kiln", manifest.CdnBaseUrl);
            Assert.AreEqual("https://x.example/ab.glb", manifest.FindAsset("chair").Url);
            Assert.AreEqual("https://cdn.example.com/kiln", ((JsonString)manifest.Raw.Get("cdnBaseUrl")).Value);
        }

        [TestCase("https://x.example:99999/a.glb")]
        [TestCase("https://:80/a.glb")]
        [TestCase("https://exa%zzmple.com/a.glb")]
        [TestCase("https:\\\\x.example/a.glb")]
        [TestCase("https://1.2.3.256/a.glb")]
        [TestCase("https://[::1/a.glb")]
        [TestCase("HTTPS://x.example/a.glb")]
        [TestCase("ftp://x.example/a.glb")]
        [TestCase("https://x.example/a b.glb")]
        public void RejectsUrlsTheWhatwgParserOrZodRejects(string url)
        {
            CollectionAssert.AreEqual(new[] { "assets.0.url" }, Manifests.IssuePaths(Manifests.Text(chairExtra: ",\"url\":" + JsonWriter.Quote(url))));
        }

        [TestCase("https:///x.example/a.glb")]
        [TestCase("https://u:p@x.example/a.glb")]
        [TestCase("http://[::1]:9000/a.glb")]
        [TestCase("http://127.0.0.1:9000/a.glb?X-Amz-Signature=abc#f")]
        public void AcceptsUrlsTheWhatwgParserAccepts(string url)
        {
            Assert.AreEqual(url, Manifests.Parse(chairExtra: ",\"url\":" + JsonWriter.Quote(url)).FindAsset("chair").Url);
        }

        [Test]
        public void RejectsAKeyThatClimbsOutAfterALineSeparator()
        {
            // TypeScript's STORAGE_KEY_PATTERN lets this one through (its "." does not match U+2028); the C# check does not.
            var json = Manifests.Text().Replace("acme/chair/lod0.glb", "a\\u2028/../x.glb");
            CollectionAssert.AreEqual(new[] { "assets.0.key" }, Manifests.IssuePaths(json));
        }

        [Test]
        public void SkipsListRulesWhenAnElementHasATypeError()
        {
            // As in zod: the ordering rule does not run when a variant's measure has the wrong type.
            var json = Manifests.Text().Replace("\"switchDistance\":10", "\"switchDistance\":\"10\"").Replace("\"switchDistance\":50", "\"switchDistance\":5");
            CollectionAssert.AreEqual(new[] { "assets.0.lods.0.switchDistance" }, Manifests.IssuePaths(json));
        }

        [Test]
        public void ChecksDuplicateIdsOnlyWhenNoAssetHasATypeError()
        {
            // Same outcome as zod: a type error "aborts" the list, a range error does not.
            var duplicated = Manifests.Text().Replace("\"id\":\"rock\"", "\"id\":\"chair\"");
            CollectionAssert.AreEqual(new[] { "assets.1.id" }, Manifests.IssuePaths(duplicated));
            CollectionAssert.AreEquivalent(new[] { "assets.1.id", "assets.1.bytes" }, Manifests.IssuePaths(duplicated.Replace("\"bytes\":900", "\"bytes\":-900")));
            CollectionAssert.AreEqual(new[] { "assets.1.bytes" }, Manifests.IssuePaths(duplicated.Replace("\"bytes\":900", "\"bytes\":\"900\"")));
            CollectionAssert.AreEqual(new[] { "assets.1.bytes" }, Manifests.IssuePaths(duplicated.Replace("\"bytes\":900", "\"bytes\":9.5")), "a fraction is a type error for z.int()");
            CollectionAssert.AreEquivalent(new[] { "assets.1.id", "assets.1.bytes" }, Manifests.IssuePaths(duplicated.Replace("\"bytes\":900", "\"bytes\":1e300")), "too big is a range error");
        }

        [Test]
        public void RejectsAKeyWithALoneSurrogate()
        {
            var json = Manifests.Text().Replace("acme/chair/lod0.glb", "acme/\\ud800.glb");
            var error = Assert.Throws<ManifestException>(() => ManifestReader.Parse(json));
            Assert.AreEqual("assets.0.key: must be well-formed Unicode (no lone surrogate)", error.Issues.Single().ToString());
        }

        [Test]
        public void RunsInjectedMigrationsOneMajorAtATime()
        {
            var calls = new List<string>();
            var options = new ManifestReadOptions
            {
                Migrations = new Dictionary<int, ManifestMigration>
                {
                    {
                        0, raw =>
                        {
                            calls.Add(((JsonString)raw.Get("manifestVersion")).Value);
                            var next = raw.DeepClone();
                            next.Set("tenantId", next.Get("tenant"));
                            return next;
                        }
                    },
                },
            };
            var old = Manifests.Text().Replace("\"manifestVersion\":\"1.0\",\"tenantId\":\"acme\"", "\"manifestVersion\":\"0.4\",\"tenant\":\"acme\"");
            var manifest = ManifestReader.Parse(old, options);
            CollectionAssert.AreEqual(new[] { "0.4" }, calls);
            Assert.AreEqual("1.0", manifest.ManifestVersion);
            Assert.AreEqual("acme", manifest.TenantId);
            var error = Assert.Throws<ManifestException>(() => ManifestReader.Parse(old));
            Assert.AreEqual(ErrorCodes.ManifestVersionUnsupported, error.Code);
        }

        [Test]
        public void ReportsAFailingMigrationAsInvalid()
        {
            var options = new ManifestReadOptions
            {
                Migrations = new Dictionary<int, ManifestMigration> { { 0, raw => { throw new System.InvalidOperationException("no tenant"); } } },
            };
            var error = Assert.Throws<ManifestException>(() => ManifestReader.Parse(Manifests.Text().Replace("\"1.0\"", "\"0.1\""), options));
            Assert.AreEqual(ErrorCodes.ManifestInvalid, error.Code);
            StringAssert.Contains("no tenant", error.Message);
        }

        [Test]
        public void DoesNotModifyTheCallersValue()
        {
            var value = JsonReader.Parse(Manifests.Text(cdn: "\" https://cdn.example.com \""));
            var before = JsonWriter.Write(value);
            ManifestReader.Parse(value);
            Assert.AreEqual(before, JsonWriter.Write(value));
        }

        [Test]
        public void TryParseReturnsTheErrorInsteadOfThrowing()
        {
            KilnManifest manifest;
            ManifestException error;
            Assert.IsFalse(ManifestReader.TryParse("[]", out manifest, out error));
            Assert.IsNull(manifest);
            Assert.AreEqual(ErrorCodes.ManifestInvalid, error.Code);
            Assert.IsTrue(ManifestReader.TryParse(Manifests.Text(), out manifest, out error));
            Assert.IsNull(error);
        }
    }

    [TestFixture]
    public class ErrorCodeTests
    {
        [Test]
        public void MapsEachCodeToExactlyOneExceptionClass()
        {
            var codes = ErrorCodes.All.ToArray();
            CollectionAssert.AllItemsAreUnique(codes);
            CollectionAssert.IsSubsetOf(new[] { "manifest_invalid", "manifest_version_unsupported", "asset_not_found", "lod_not_found", "manifest_unresolvable", "invalid_input" }, codes);
            Assert.AreEqual(typeof(ManifestException), ErrorCodes.ExceptionTypeFor("manifest_version_unsupported"));
            Assert.AreEqual(typeof(ResolveException), ErrorCodes.ExceptionTypeFor("lod_not_found"));
            Assert.AreEqual(typeof(KilnValidationException), ErrorCodes.ExceptionTypeFor("invalid_input"));
            Assert.AreEqual(typeof(LoadException), ErrorCodes.ExceptionTypeFor("integrity_mismatch"));
            Assert.IsNull(ErrorCodes.ExceptionTypeFor("nope"));
        }

        [Test]
        public void RefusesACodeOfAnotherClass()
        {
            Assert.Throws<System.ArgumentException>(() => new ResolveException(ErrorCodes.ManifestInvalid, "x"));
            Assert.Throws<System.ArgumentException>(() => new LoadException(ErrorCodes.AssetNotFound, "x"));
        }
    }
}
