using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using NUnit.Framework;

namespace Kiln.Loader.Core.Tests
{
    [TestFixture]
    public class IntegrityTests
    {
        // FIPS 180-2 examples.
        [TestCase("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
        [TestCase("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
        [TestCase("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")]
        public void HashesWithSha256(string text, string expected)
        {
            Assert.AreEqual(expected, Integrity.Sha256Hex(Encoding.ASCII.GetBytes(text)));
        }

        [Test]
        public void AcceptsMatchingBytes()
        {
            var data = Bytes.Of("abc");
            Assert.DoesNotThrow(() => Integrity.Verify(data, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 3, "t"));
            Assert.IsTrue(Integrity.Matches(data, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 3));
        }

        [Test]
        public void RejectsAWrongSizeBeforeHashing()
        {
            var error = Assert.Throws<LoadException>(() => Integrity.Verify(Bytes.Of("abcd"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 3, "fetch chair#0"));
            Assert.AreEqual(ErrorCodes.IntegrityMismatch, error.Code);
            Assert.AreEqual(3L, error.Details["expectedBytes"]);
            Assert.AreEqual(4L, error.Details["actualBytes"]);
            StringAssert.StartsWith("fetch chair#0: expected 3 bytes", error.Message);
        }

        [Test]
        public void RejectsAWrongHash()
        {
            var data = Bytes.Of("abd");
            var error = Assert.Throws<LoadException>(() => Integrity.Verify(data, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 3, "t"));
            Assert.AreEqual(ErrorCodes.IntegrityMismatch, error.Code);
            Assert.AreEqual(Integrity.Sha256Hex(data), error.Details["actualSha256"]);
            Assert.IsFalse(Integrity.Matches(data, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 3));
        }

        [Test]
        public void BuildsCacheKeysAndBlobPathsFromTheHash()
        {
            Assert.AreEqual("run-42:wood.v2#3@" + Manifests.ShaA, CacheKeys.For("run-42:wood.v2", 3, Manifests.ShaA));
            Assert.AreEqual("aa/" + Manifests.ShaA, CacheKeys.BlobPath(Manifests.ShaA));
            Assert.Throws<ArgumentException>(() => CacheKeys.BlobPath("../../etc/passwd"));
            Assert.Throws<ArgumentException>(() => CacheKeys.BlobPath(Manifests.ShaA.ToUpperInvariant()));
        }
    }

    [TestFixture]
    public class LruIndexTests
    {
        [Test]
        public void EvictsLeastRecentlyUsedFirstUntilTheNewEntryFits()
        {
            var index = new LruIndex(100);
            index.Touch("a", 40, 1);
            index.Touch("b", 30, 2);
            index.Touch("c", 20, 3);
            index.Touch("a", 40, 4); // a becomes the most recent
            Assert.AreEqual(90, index.TotalBytes);
            CollectionAssert.AreEqual(new[] { "b", "c", "a" }, index.KeysByAge.ToArray());
            CollectionAssert.AreEqual(new[] { "b" }, index.PlanEviction(30).ToArray());
            CollectionAssert.AreEqual(new[] { "b", "c" }, index.PlanEviction(50).ToArray());
            CollectionAssert.IsEmpty(index.PlanEviction(10));
        }

        [Test]
        public void NeverEvictsPinnedEntries()
        {
            var index = new LruIndex(100);
            index.Touch("old", 60, 1);
            index.Touch("new", 30, 2);
            var plan = index.PlanEviction(50, new HashSet<string> { "old" });
            CollectionAssert.AreEqual(new[] { "new" }, plan.ToArray());
            Assert.IsFalse(index.Fits(50));
        }

        [Test]
        public void RefusesItemsLargerThanTheBudget()
        {
            var index = new LruIndex(100);
            Assert.IsTrue(index.CanAdmit(100));
            Assert.IsFalse(index.CanAdmit(101));
        }

        [Test]
        public void UpdatesSizesAndRemoves()
        {
            var index = new LruIndex(100);
            index.Touch("a", 10, 1);
            index.Touch("a", 25, 2);
            Assert.AreEqual(25, index.TotalBytes);
            Assert.IsTrue(index.Remove("a"));
            Assert.IsFalse(index.Remove("a"));
            Assert.AreEqual(0, index.TotalBytes);
        }

        [Test]
        public void RoundTripsThroughJson()
        {
            var index = new LruIndex(1000);
            index.Touch("x", 12, 1738324800000);
            index.Touch("y", 7, 1738324800001);
            LruIndex read;
            Assert.IsTrue(LruIndex.TryFromJson(index.ToJson(), 500, out read));
            Assert.AreEqual(500, read.BudgetBytes);
            Assert.AreEqual(19, read.TotalBytes);
            CollectionAssert.AreEqual(new[] { "x", "y" }, read.KeysByAge.ToArray());
        }

        [TestCase("")]
        [TestCase("{")]
        [TestCase("[]")]
        [TestCase("{\"version\":2,\"entries\":{}}")]
        [TestCase("{\"version\":1,\"entries\":{\"x\":{\"size\":-1,\"lastUsed\":0}}}")]
        [TestCase("{\"version\":1,\"entries\":{\"x\":{\"size\":\"1\",\"lastUsed\":0}}}")]
        public void DistrustsADamagedIndex(string json)
        {
            LruIndex read;
            Assert.IsFalse(LruIndex.TryFromJson(json, 10, out read));
            Assert.AreEqual(0, read.Count);
        }
    }

    [TestFixture]
    public class ContentCacheTests
    {
        static readonly DateTimeOffset Start = new DateTimeOffset(2025, 1, 31, 12, 0, 0, TimeSpan.Zero);

        static byte[] Blob(int length, byte fill) { return Bytes.Filled(length, fill); }

        [Test]
        public void StoresVerifiedBytesUnderTheirHashAndReadsThemBack()
        {
            var store = new MemoryBlobStore();
            var cache = new ContentCache(store, 1000, new FakeClock(Start));
            var data = Blob(10, 1);
            var sha = Integrity.Sha256Hex(data);
            Assert.IsTrue(cache.Put(sha, data));
            CollectionAssert.AreEqual(new[] { CacheKeys.BlobPath(sha) }, store.BlobPaths);
            CollectionAssert.AreEqual(data, cache.TryGet(sha, 10));
            Assert.IsNull(cache.TryGet(Manifests.ShaB, 10));
        }

        [Test]
        public void RefusesBytesThatDoNotMatchTheirHash()
        {
            var store = new MemoryBlobStore();
            var cache = new ContentCache(store, 1000);
            var error = Assert.Throws<LoadException>(() => cache.Put(Manifests.ShaA, Blob(10, 1)));
            Assert.AreEqual(ErrorCodes.IntegrityMismatch, error.Code);
            CollectionAssert.IsEmpty(store.BlobPaths);
        }

        [Test]
        public void DropsACorruptEntryOnRead()
        {
            var store = new MemoryBlobStore();
            var logger = new ListLogger();
            var cache = new ContentCache(store, 1000, new FakeClock(Start), logger);
            var data = Blob(10, 1);
            var sha = Integrity.Sha256Hex(data);
            cache.Put(sha, data);
            store.Blobs[CacheKeys.BlobPath(sha)][3] ^= 0xFF; // bit rot
            Assert.IsNull(cache.TryGet(sha, 10));
            CollectionAssert.IsEmpty(store.BlobPaths);
            Assert.IsFalse(cache.Index.Contains(sha));
            StringAssert.Contains("corrupt", logger.All);
        }

        [Test]
        public void EvictsTheLeastRecentlyUsedToStayWithinTheBudget()
        {
            var store = new MemoryBlobStore();
            var clock = new FakeClock(Start);
            var cache = new ContentCache(store, 25, clock);
            var a = Blob(10, 1);
            var b = Blob(10, 2);
            var c = Blob(10, 3);
            cache.Put(Integrity.Sha256Hex(a), a);
            clock.Advance(TimeSpan.FromSeconds(1));
            cache.Put(Integrity.Sha256Hex(b), b);
            clock.Advance(TimeSpan.FromSeconds(1));
            Assert.IsNotNull(cache.TryGet(Integrity.Sha256Hex(a), 10)); // a is now more recent than b
            clock.Advance(TimeSpan.FromSeconds(1));
            Assert.IsTrue(cache.Put(Integrity.Sha256Hex(c), c));
            CollectionAssert.AreEquivalent(new[] { CacheKeys.BlobPath(Integrity.Sha256Hex(a)), CacheKeys.BlobPath(Integrity.Sha256Hex(c)) }, store.BlobPaths);
            Assert.LessOrEqual(cache.Index.TotalBytes, 25);
        }

        [Test]
        public void KeepsPinnedEntriesAndSkipsWhatCannotFit()
        {
            var store = new MemoryBlobStore();
            var cache = new ContentCache(store, 25, new FakeClock(Start));
            var a = Blob(10, 1);
            var b = Blob(10, 2);
            var shaA = Integrity.Sha256Hex(a);
            var shaB = Integrity.Sha256Hex(b);
            cache.Put(shaA, a);
            cache.Put(shaB, b);
            cache.Pin(shaA);
            cache.Pin(shaB);
            var c = Blob(10, 3);
            Assert.IsFalse(cache.Put(Integrity.Sha256Hex(c), c), "both entries are in use");
            Assert.AreEqual(2, store.BlobPaths.Count);
            cache.Unpin(shaA);
            Assert.IsTrue(cache.Put(Integrity.Sha256Hex(c), c));
            Assert.IsFalse(cache.Index.Contains(shaA));
            Assert.IsTrue(cache.Index.Contains(shaB));
            Assert.IsFalse(cache.Put(Integrity.Sha256Hex(Blob(26, 4)), Blob(26, 4)), "larger than the whole budget");
        }

        [Test]
        public void PersistsTheIndexAndRebuildsItWhenDamaged()
        {
            var store = new MemoryBlobStore();
            var clock = new FakeClock(Start);
            var cache = new ContentCache(store, 100, clock);
            var a = Blob(10, 1);
            var b = Blob(20, 2);
            cache.Put(Integrity.Sha256Hex(a), a);
            clock.Advance(TimeSpan.FromSeconds(5));
            cache.Put(Integrity.Sha256Hex(b), b);

            var reopened = new ContentCache(store, 100, clock);
            CollectionAssert.AreEqual(new[] { Integrity.Sha256Hex(a), Integrity.Sha256Hex(b) }, reopened.Index.KeysByAge.ToArray());

            store.Blobs[ContentCache.IndexPath] = Bytes.Of("{garbage");
            store.Blobs["stray.tmp"] = Bytes.Of("x");
            var rebuilt = new ContentCache(store, 100, clock);
            Assert.AreEqual(30, rebuilt.Index.TotalBytes);
            Assert.AreEqual(2, rebuilt.Index.Count, "only content-addressed blobs are indexed");

            var smaller = new ContentCache(store, 15, clock);
            Assert.LessOrEqual(smaller.Index.TotalBytes, 15, "a smaller budget evicts on open");
        }

        [Test]
        public void ClearDeletesEverything()
        {
            var store = new MemoryBlobStore();
            var cache = new ContentCache(store, 100);
            var a = Blob(10, 1);
            cache.Put(Integrity.Sha256Hex(a), a);
            cache.Clear();
            CollectionAssert.IsEmpty(store.BlobPaths);
            Assert.AreEqual(0, cache.Index.Count);
        }
    }
}
