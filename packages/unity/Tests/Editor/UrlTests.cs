using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;

namespace Kiln.Loader.Core.Tests
{
    [TestFixture]
    public class CdnUrlTests
    {
        [TestCase("A-z_0.9~!*'()", "A-z_0.9~!*'()")]
        [TestCase("a b", "a%20b")]
        [TestCase("#?&=+:@,;$/", "%23%3F%26%3D%2B%3A%40%2C%3B%24%2F")]
        [TestCase("100%25", "100%2525")]
        [TestCase("mod\u00e8les", "mod%C3%A8les")]
        [TestCase("\u6905\u5b50", "%E6%A4%85%E5%AD%90")]
        [TestCase("\ud83e\ude91", "%F0%9F%AA%91")]
        [TestCase("", "")]
        public void EncodesLikeEncodeUriComponent(string input, string expected)
        {
            Assert.AreEqual(expected, CdnUrl.EncodeUriComponent(input));
        }

        [Test]
        public void DiffersFromUriEscapeDataStringOnTheCharactersJavaScriptKeeps()
        {
            // The reason the port has its own encoder (see the vectors README).
            Assert.AreEqual("!*'()", CdnUrl.EncodeUriComponent("!*'()"));
            Assert.AreNotEqual(Uri.EscapeDataString("!*'()"), CdnUrl.EncodeUriComponent("!*'()"));
        }

        [Test]
        public void RejectsLoneSurrogatesAsJavaScriptThrowsUriError()
        {
            // Built in code: attribute arguments cannot hold lone surrogates (they become U+FFFD).
            foreach (var input in new[] { "a" + (char)0xD800 + "b", ((char)0xDC00).ToString(), "end" + (char)0xD83E })
            {
                var error = Assert.Throws<KilnValidationException>(() => CdnUrl.EncodeUriComponent(input));
                Assert.AreEqual(ErrorCodes.InvalidInput, error.Code);
                Assert.AreEqual("key", error.Issues[0].Path);
            }
        }

        [TestCase("https://cdn.example.com", "a/b c.glb", "https://cdn.example.com/a/b%20c.glb")]
        [TestCase("https://cdn.example.com///", "a/b.glb", "https://cdn.example.com/a/b.glb")]
        [TestCase("https://cdn.example.com/x", "a//b.glb", "https://cdn.example.com/x/a//b.glb")]
        [TestCase("http://localhost:9000/kiln", "t/\u00e9 #1?.glb", "http://localhost:9000/kiln/t/%C3%A9%20%231%3F.glb")]
        public void JoinsKeysSegmentBySegment(string baseUrl, string key, string expected)
        {
            Assert.AreEqual(expected, CdnUrl.Join(baseUrl, key));
        }

        [TestCase("https://b.s3.amazonaws.com/a.glb?X-Amz-Signature=abc&X-Amz-Expires=60", "https://b.s3.amazonaws.com/a.glb")]
        [TestCase("https://cdn.example.com/a.glb#frag", "https://cdn.example.com/a.glb")]
        [TestCase("https://cdn.example.com/a.glb", "https://cdn.example.com/a.glb")]
        [TestCase("https://cdn.example.com/a%3F.glb?x#y", "https://cdn.example.com/a%3F.glb")]
        public void StripsQueryStringsAndFragments(string url, string expected)
        {
            Assert.AreEqual(expected, CdnUrl.StripQuery(url));
        }
    }

    [TestFixture]
    public class PresignedUrlTests
    {
        static readonly DateTimeOffset Signed = new DateTimeOffset(2025, 1, 31, 12, 0, 0, TimeSpan.Zero);

        [Test]
        public void ReadsSigV4Expiry()
        {
            var url = "https://b.s3.amazonaws.com/a.glb?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20250131T120000Z&X-Amz-Expires=3600&X-Amz-Signature=ab";
            Assert.AreEqual(Signed.AddHours(1), PresignedUrl.TryGetExpiry(url));
        }

        [Test]
        public void ReadsGcsV4KilnAndCloudFrontExpiry()
        {
            Assert.AreEqual(Signed.AddSeconds(900), PresignedUrl.TryGetExpiry("https://storage.googleapis.com/b/a.glb?X-Goog-Date=20250131T120000Z&X-Goog-Expires=900&X-Goog-Signature=x"));
            Assert.AreEqual(Signed, PresignedUrl.TryGetExpiry("http://127.0.0.1:8787/t/a.glb?X-Kiln-Method=GET&X-Kiln-Expires=" + Signed.ToUnixTimeSeconds() + "&X-Kiln-Signature=f"));
            Assert.AreEqual(Signed, PresignedUrl.TryGetExpiry("https://d111.cloudfront.net/a.glb?Expires=" + Signed.ToUnixTimeSeconds() + "&Signature=x&Key-Pair-Id=K"));
        }

        [TestCase("https://cdn.example.com/a.glb")]
        [TestCase("https://cdn.example.com/a.glb?v=2")]
        [TestCase("https://b.s3.amazonaws.com/a.glb?X-Amz-Date=yesterday&X-Amz-Expires=60")]
        [TestCase("https://b.s3.amazonaws.com/a.glb?X-Amz-Expires=60")]
        [TestCase("https://b.example/a.glb?Expires=-5")]
        public void HasNoExpiryWithoutRecognisedParameters(string url)
        {
            Assert.IsNull(PresignedUrl.TryGetExpiry(url));
            Assert.IsFalse(PresignedUrl.IsExpired(url, Signed.AddYears(50), TimeSpan.Zero));
        }

        [Test]
        public void CountsTheMarginAsExpired()
        {
            var url = "https://b.s3.amazonaws.com/a.glb?X-Amz-Date=20250131T120000Z&X-Amz-Expires=60";
            Assert.IsFalse(PresignedUrl.IsExpired(url, Signed.AddSeconds(29), TimeSpan.FromSeconds(30)));
            Assert.IsTrue(PresignedUrl.IsExpired(url, Signed.AddSeconds(30), TimeSpan.FromSeconds(30)));
            Assert.IsTrue(PresignedUrl.IsExpired(url, Signed.AddSeconds(61), TimeSpan.Zero));
        }

        [Test]
        public void DecodesQueryParameters()
        {
            var query = PresignedUrl.QueryParameters("https://x/a?b=1%2F2&c=d+e&flag&x-amz-date=z#frag");
            Assert.AreEqual("1/2", query["b"]);
            Assert.AreEqual("d e", query["c"]);
            Assert.AreEqual("", query["flag"]);
            Assert.AreEqual("z", query["X-Amz-Date"], "names are case-insensitive");
        }
    }

    [TestFixture]
    public class AssetUrlProviderTests : AsyncFixture
    {
        static readonly DateTimeOffset Signed = new DateTimeOffset(2025, 1, 31, 12, 0, 0, TimeSpan.Zero);

        static string SignedUrl(string path, DateTimeOffset at, int seconds, string signature)
        {
            return "https://bucket.s3.amazonaws.com/" + path + "?X-Amz-Date=" + at.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'") + "&X-Amz-Expires=" + seconds + "&X-Amz-Signature=" + signature;
        }

        static ResolvedAsset Asset(string url)
        {
            var manifest = Manifests.Parse(chairExtra: ",\"url\":" + Json.JsonWriter.Quote(url));
            return AssetResolver.Resolve(manifest, "chair", new ResolveOptions { Level = 0 });
        }

        [Test]
        public void KeepsAUrlThatHasNotExpired()
        {
            var calls = 0;
            var clock = new FakeClock(Signed.AddMinutes(10));
            var provider = new AssetUrlProvider((r, c) => { calls++; return Task.FromResult("https://never.example/x"); }, clock);
            var asset = Asset(SignedUrl("a.glb", Signed, 3600, "old"));
            Assert.AreEqual(asset.Url, Run.Sync(provider.GetUrlAsync(asset, CancellationToken.None)));
            Assert.AreEqual(0, calls);
        }

        [Test]
        public void RefreshesAnExpiredUrlThroughTheHostCallbackAndRemembersIt()
        {
            var clock = new FakeClock(Signed.AddMinutes(59).AddSeconds(45)); // within the 30 s margin
            var requests = new List<UrlRefreshRequest>();
            var fresh = SignedUrl("a.glb", clock.UtcNow, 3600, "new");
            var logger = new ListLogger();
            var provider = new AssetUrlProvider((request, token) =>
            {
                requests.Add(request);
                return Task.FromResult(fresh);
            }, clock, null, logger);
            var asset = Asset(SignedUrl("a.glb", Signed, 3600, "old"));

            Assert.AreEqual(fresh, Run.Sync(provider.GetUrlAsync(asset, CancellationToken.None)));
            Assert.AreEqual(fresh, Run.Sync(provider.GetUrlAsync(asset, CancellationToken.None)), "remembered, not refreshed again");
            Assert.AreEqual(1, requests.Count);
            var sent = requests[0];
            Assert.AreEqual(UrlRefreshReason.Expired, sent.Reason);
            Assert.AreEqual("chair", sent.AssetId);
            Assert.AreEqual(0, sent.Level);
            Assert.AreEqual("acme/chair/lod0.glb", sent.Key);
            Assert.AreEqual(Manifests.ShaA, sent.Sha256);
            Assert.AreEqual("chair#0@" + Manifests.ShaA, sent.CacheKey);
            Assert.AreEqual("https://bucket.s3.amazonaws.com/a.glb", sent.StaleUrlForLog);
            StringAssert.DoesNotContain("Signature", logger.All, "logs never show signatures");
            StringAssert.Contains("refreshed chair#0@", logger.All);
        }

        [Test]
        public void RefreshesAgainWhenTheRememberedUrlExpires()
        {
            var clock = new FakeClock(Signed.AddHours(2));
            var counter = 0;
            var provider = new AssetUrlProvider((r, t) =>
            {
                counter++;
                return Task.FromResult(SignedUrl("a.glb", clock.UtcNow, 600, "n" + counter));
            }, clock);
            var asset = Asset(SignedUrl("a.glb", Signed, 3600, "old"));
            StringAssert.EndsWith("n1", Run.Sync(provider.GetUrlAsync(asset, CancellationToken.None)));
            clock.Advance(TimeSpan.FromMinutes(20));
            StringAssert.EndsWith("n2", Run.Sync(provider.GetUrlAsync(asset, CancellationToken.None)));
        }

        [Test]
        public void UsesAnExpiredUrlAsIsWithoutACallback()
        {
            var provider = new AssetUrlProvider(null, new FakeClock(Signed.AddDays(1)));
            var asset = Asset(SignedUrl("a.glb", Signed, 60, "old"));
            Assert.AreEqual(asset.Url, Run.Sync(provider.GetUrlAsync(asset, CancellationToken.None)));
            Assert.AreEqual(ErrorCodes.AccessDenied, Run.Code(() => provider.RefreshAsync(asset, asset.Url, UrlRefreshReason.Forbidden, CancellationToken.None)));
        }

        [TestCase(null)]
        [TestCase("not a url")]
        [TestCase("https://bucket.s3.amazonaws.com/a.glb?X-Amz-Date=20250131T120000Z&X-Amz-Expires=60&X-Amz-Signature=still-old")]
        public void RejectsABadRefreshedUrl(string returned)
        {
            var provider = new AssetUrlProvider((r, t) => Task.FromResult(returned), new FakeClock(Signed.AddHours(1)));
            var asset = Asset(SignedUrl("a.glb", Signed, 60, "old"));
            var error = Run.Error(() => provider.RefreshAsync(asset, asset.Url, UrlRefreshReason.Forbidden, CancellationToken.None)) as LoadException;
            Assert.IsNotNull(error);
            Assert.AreEqual(ErrorCodes.AccessDenied, error.Code);
            StringAssert.DoesNotContain("still-old", error.Message);
        }

        [Test]
        public void WrapsAFailingCallback()
        {
            var provider = new AssetUrlProvider((r, t) => { throw new InvalidOperationException("backend down"); }, new FakeClock(Signed));
            var asset = Asset(SignedUrl("a.glb", Signed, 60, "old"));
            var error = (LoadException)Run.Error(() => provider.RefreshAsync(asset, asset.Url, UrlRefreshReason.Forbidden, CancellationToken.None));
            Assert.AreEqual(ErrorCodes.AccessDenied, error.Code);
            StringAssert.Contains("backend down", error.Message);
            Assert.IsInstanceOf<InvalidOperationException>(error.InnerException);
        }

        [Test]
        public void ManifestRefresherReloadsOnceForConcurrentRefreshesAndChecksTheContent()
        {
            var reloads = 0;
            var gate = new TaskCompletionSource<KilnManifest>();
            var refresher = ManifestUrlRefresher.Create(token =>
            {
                reloads++;
                return gate.Task;
            });
            var asset = Asset(SignedUrl("a.glb", Signed, 60, "old"));
            var request = new UrlRefreshRequest { AssetId = "chair", Level = 0, Sha256 = Manifests.ShaA, CacheKey = asset.CacheKey };
            var first = refresher(request, CancellationToken.None);
            var second = refresher(request, CancellationToken.None);
            gate.SetResult(Manifests.Parse(chairExtra: ",\"url\":\"https://bucket.s3.amazonaws.com/a.glb?sig=new\""));
            Assert.AreEqual("https://bucket.s3.amazonaws.com/a.glb?sig=new", Run.Sync(first));
            Assert.AreEqual("https://bucket.s3.amazonaws.com/a.glb?sig=new", Run.Sync(second));
            Assert.AreEqual(1, reloads);

            var changed = ManifestUrlRefresher.Create(t => Task.FromResult(ManifestReader.Parse(Manifests.Text().Replace("\"sha256\":\"" + Manifests.ShaA + "\",\"key\":\"acme/chair", "\"sha256\":\"" + Manifests.ShaC + "\",\"key\":\"acme/chair"))));
            Assert.AreEqual(ErrorCodes.AssetChanged, Run.Code(() => changed(request, CancellationToken.None)));
        }
    }
}
