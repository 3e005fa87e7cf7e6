using System;
using System.IO;
using System.Linq;
using NUnit.Framework;

namespace Kiln.Loader.Core.Tests
{
    /// <summary>
    /// The disk store of the glue. It uses System.IO only (no UnityEngine API), so it runs here as
    /// well as in the Editor, on a temporary folder.
    /// </summary>
    [TestFixture]
    public class FileBlobStoreTests
    {
        string _root;

        [SetUp]
        public void SetUp()
        {
            _root = Path.Combine(Path.GetTempPath(), "kiln-blob-test-" + Guid.NewGuid().ToString("N"));
        }

        [TearDown]
        public void TearDown()
        {
            if (Directory.Exists(_root)) Directory.Delete(_root, true);
        }

        [Test]
        public void WritesReadsListsAndDeletes()
        {
            var store = new Kiln.Loader.FileBlobStore(_root);
            byte[] data;
            Assert.IsFalse(store.TryRead("ab/missing", out data));
            store.Write("ab/abc", Bytes.Of("hello"));
            store.Write("ab/abc", Bytes.Of("hello again")); // replaces
            Assert.IsTrue(store.TryRead("ab/abc", out data));
            Assert.AreEqual("hello again", System.Text.Encoding.UTF8.GetString(data));
            var listed = store.List().ToList();
            Assert.AreEqual(1, listed.Count);
            Assert.AreEqual("ab/abc", listed[0].Key);
            Assert.AreEqual(11L, listed[0].Value);
            Assert.IsTrue(store.Delete("ab/abc"));
            Assert.IsFalse(store.Delete("ab/abc"));
        }

        [Test]
        public void CleansUpTemporaryFilesLeftByACrash()
        {
            var store = new Kiln.Loader.FileBlobStore(_root);
            store.Write("ab/abc", Bytes.Of("x"));
            var leftover = Path.Combine(Path.Combine(_root, "ab"), "abc.tmp-123");
            File.WriteAllText(leftover, "half");
            CollectionAssert.AreEqual(new[] { "ab/abc" }, store.List().Select(p => p.Key).ToArray());
            Assert.IsFalse(File.Exists(leftover));
        }

        [TestCase("../escape")]
        [TestCase("/etc/passwd")]
        [TestCase("a/../../b")]
        [TestCase("C:/x")]
        [TestCase("a\\b")]
        [TestCase("")]
        public void RefusesPathsOutsideItsFolder(string path)
        {
            var store = new Kiln.Loader.FileBlobStore(_root);
            Assert.Throws<ArgumentException>(() => store.Write(path, Bytes.Of("x")));
        }

        [Test]
        public void BacksAContentCacheThatSurvivesARestart()
        {
            var data = Bytes.Filled(64, 7);
            var sha = Integrity.Sha256Hex(data);
            new ContentCache(new Kiln.Loader.FileBlobStore(_root), 1000).Put(sha, data);
            var reopened = new ContentCache(new Kiln.Loader.FileBlobStore(_root), 1000);
            CollectionAssert.AreEqual(data, reopened.TryGet(sha, 64));
            Assert.IsTrue(File.Exists(Path.Combine(Path.Combine(_root, sha.Substring(0, 2)), sha)));
        }
    }
}
