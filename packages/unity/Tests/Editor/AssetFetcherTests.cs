using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Kiln.Loader.Core.Json;
using NUnit.Framework;

namespace Kiln.Loader.Core.Tests
{
    [TestFixture]
    public class AssetFetcherTests : AsyncFixture
    {
        static readonly DateTimeOffset Signed = new DateTimeOffset(2025, 1, 31, 12, 0, 0, TimeSpan.Zero);
        static readonly byte[] Glb = Bytes.Of("glTF\u0002\u0000\u0000\u0000 a tiny stand-in for a GLB");
        static readonly string GlbSha = Integrity.Sha256Hex(Glb);

        ScriptedTransport _transport;
        RecordingDelay _delay;
        ListLogger _logger;
        FakeClock _clock;

        [SetUp]
        public void SetUp()
        {
            _transport = new ScriptedTransport();
            _delay = new RecordingDelay();
            _logger = new ListLogger();
            _clock = new FakeClock(Signed.AddMinutes(1));
        }

        static KilnManifest ManifestWith(string url = null)
        {
            var json = Manifests.Text(chairExtra: url == null ? "" : ",\"url\":" + JsonWriter.Quote(url))
                .Replace("\"bytes\":1000,\"sha256\":\"" + Manifests.ShaA + "\"", "\"bytes\":" + Glb.Length + ",\"sha256\":\"" + GlbSha + "\"");
            return ManifestReader.Parse(json);
        }

        static ResolvedAsset Chair(string url = null)
        {
            return AssetResolver.Resolve(ManifestWith(url), "chair", new ResolveOptions { Level = 0 });
        }

        AssetFetcher Fetcher(ContentCache cache = null, UrlRefreshCallback refresh = null, RetryPolicy retry = null, IDictionary<string, string> headers = null)
        {
            return new AssetFetcher(_transport, _delay, new AssetFetcherOptions
            {
                Cache = cache,
                Urls = new AssetUrlProvider(refresh, _clock, null, _logger),
                Retry = retry ?? new RetryPolicy(random: new SequenceRandom(0.5).Next),
                Logger = _logger,
                Clock = _clock,
                Headers = headers,
            });
        }

        [Test]
        public void DownloadsVerifiesAndSendsTheHeaders()
        {
            _transport.Then(ScriptedTransport.Ok(Glb));
            var progress = new List<float>();
            var data = Run.Sync(Fetcher(headers: new Dictionary<string, string> { { "Authorization", "Bearer t" } })
                .FetchAsync(Chair(), new SyncProgress(progress.Add), CancellationToken.None));
            CollectionAssert.AreEqual(Glb, data);
            Assert.AreEqual("https://cdn.example.com/kiln/acme/chair/lod0.glb", _transport.Requests.Single().Url);
            Assert.AreEqual("Bearer t", _transport.Requests[0].Headers["Authorization"]);
            Assert.AreEqual(TimeSpan.FromSeconds(60), _transport.Requests[0].Timeout);
            Assert.AreEqual(1f, progress.Last());
        }

        [Test]
        public void RetriesWithBackoffThenSucceeds()
        {
            _transport.Then(ScriptedTransport.Status(503)).Then(ScriptedTransport.NetworkError()).Then(ScriptedTransport.Ok(Glb));
            CollectionAssert.AreEqual(Glb, Run.Sync(Fetcher().FetchAsync(Chair(), null, CancellationToken.None)));
            CollectionAssert.AreEqual(new[] { TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200) }, _delay.Delays);
            Assert.AreEqual(3, _transport.Requests.Count);
            StringAssert.Contains("HTTP 503", _logger.All);
        }

        [Test]
        public void HonoursRetryAfter()
        {
            _transport.Then(new TransportResponse { Status = 429, Headers = new Dictionary<string, string> { { "retry-after", "3" } } }).Then(ScriptedTransport.Ok(Glb));
            Run.Sync(Fetcher().FetchAsync(Chair(), null, CancellationToken.None));
            CollectionAssert.AreEqual(new[] { TimeSpan.FromSeconds(3) }, _delay.Delays);
        }

        [Test]
        public void FailsWithTheCodeOfThePermanentError()
        {
            _transport.Then(ScriptedTransport.Status(404));
            var error = (LoadException)Run.Error(() => Fetcher().FetchAsync(Chair(), null, CancellationToken.None));
            Assert.AreEqual(ErrorCodes.NotFound, error.Code);
            Assert.AreEqual(404, error.Details["status"]);
            Assert.AreEqual("chair#0@" + GlbSha, error.Details["cacheKey"]);
            CollectionAssert.IsEmpty(_delay.Delays);
        }

        [Test]
        public void GivesUpAfterTheLastAttempt()
        {
            _transport.Then(ScriptedTransport.Timeout()).Then(ScriptedTransport.Timeout()).Then(ScriptedTransport.Timeout());
            var error = (LoadException)Run.Error(() => Fetcher().FetchAsync(Chair(), null, CancellationToken.None));
            Assert.AreEqual(ErrorCodes.DownloadFailed, error.Code);
            StringAssert.Contains("timed out after 3 attempts", error.Message);
            StringAssert.Contains("Request timeout", error.Message);
            Assert.AreEqual(2, _delay.Delays.Count);
        }

        [Test]
        public void RetriesCorruptBytesAndReportsAPersistentMismatch()
        {
            var corrupt = (byte[])Glb.Clone();
            corrupt[5] ^= 1;
            _transport.Then(ScriptedTransport.Ok(corrupt)).Then(ScriptedTransport.Ok(Glb));
            CollectionAssert.AreEqual(Glb, Run.Sync(Fetcher().FetchAsync(Chair(), null, CancellationToken.None)));

            _transport.Then(ScriptedTransport.Ok(corrupt)).Then(ScriptedTransport.Ok(corrupt)).Then(ScriptedTransport.Ok(corrupt));
            Assert.AreEqual(ErrorCodes.IntegrityMismatch, Run.Code(() => Fetcher().FetchAsync(Chair(), null, CancellationToken.None)));
        }

        [Test]
        public void RefreshesAPresignedUrlAfterForbiddenAndNeverLogsSignatures()
        {
            var stale = "https://bucket.s3.amazonaws.com/acme/chair.glb?X-Amz-Date=20250131T120000Z&X-Amz-Expires=3600&X-Amz-Signature=OLDSIG";
            var fresh = "https://bucket.s3.amazonaws.com/acme/chair.glb?X-Amz-Date=20250131T120100Z&X-Amz-Expires=3600&X-Amz-Signature=NEWSIG";
            var refreshes = new List<UrlRefreshRequest>();
            _transport.Then(ScriptedTransport.Status(403)).Then(ScriptedTransport.Ok(Glb));
            var data = Run.Sync(Fetcher(refresh: (request, token) =>
            {
                refreshes.Add(request);
                return Task.FromResult(fresh);
            }).FetchAsync(Chair(stale), null, CancellationToken.None));
            CollectionAssert.AreEqual(Glb, data);
            CollectionAssert.AreEqual(new[] { stale, fresh }, _transport.Urls);
            Assert.AreEqual(UrlRefreshReason.Forbidden, refreshes.Single().Reason);
            CollectionAssert.IsEmpty(_delay.Delays, "a refresh does not back off");
            StringAssert.DoesNotContain("SIG", _logger.All);
            StringAssert.Contains("https://bucket.s3.amazonaws.com/acme/chair.glb", _logger.All);
        }

        [Test]
        public void RefreshesAnExpiredUrlBeforeTheFirstRequest()
        {
            var stale = "https://bucket.s3.amazonaws.com/acme/chair.glb?X-Amz-Date=20250131T120000Z&X-Amz-Expires=60&X-Amz-Signature=OLDSIG";
            var fresh = "https://bucket.s3.amazonaws.com/acme/chair.glb?X-Amz-Date=20250131T120100Z&X-Amz-Expires=3600&X-Amz-Signature=NEWSIG";
            _transport.Then(ScriptedTransport.Ok(Glb));
            Run.Sync(Fetcher(refresh: (r, t) => Task.FromResult(fresh)).FetchAsync(Chair(stale), null, CancellationToken.None));
            CollectionAssert.AreEqual(new[] { fresh }, _transport.Urls, "the expired URL was never requested");
        }

        [Test]
        public void ForbiddenTwiceIsAccessDeniedWithoutTheSignatureInTheMessage()
        {
            var stale = "https://bucket.s3.amazonaws.com/acme/chair.glb?X-Amz-Signature=OLDSIG";
            _transport.Then(ScriptedTransport.Status(403)).Then(ScriptedTransport.Status(403));
            var error = (LoadException)Run.Error(() => Fetcher(refresh: (r, t) => Task.FromResult("https://bucket.s3.amazonaws.com/acme/chair.glb?X-Amz-Signature=NEWSIG"))
                .FetchAsync(Chair(stale), null, CancellationToken.None));
            Assert.AreEqual(ErrorCodes.AccessDenied, error.Code);
            StringAssert.DoesNotContain("SIG", error.Message);
            Assert.AreEqual(2, _transport.Requests.Count);
        }

        [Test]
        public void ForbiddenWithoutACallbackIsAccessDenied()
        {
            _transport.Then(ScriptedTransport.Status(403));
            Assert.AreEqual(ErrorCodes.AccessDenied, Run.Code(() => Fetcher().FetchAsync(Chair(), null, CancellationToken.None)));
        }

        [Test]
        public void ServesRepeatLoadsFromTheCacheEvenWithANewPresignedUrl()
        {
            var cache = new ContentCache(new MemoryBlobStore(), 1 << 20, _clock);
            _transport.Then(ScriptedTransport.Ok(Glb));
            var fetcher = Fetcher(cache);
            Run.Sync(fetcher.FetchAsync(Chair("https://bucket.s3.amazonaws.com/a.glb?sig=1"), null, CancellationToken.None));
            var again = Run.Sync(fetcher.FetchAsync(Chair("https://bucket.s3.amazonaws.com/a.glb?sig=2"), null, CancellationToken.None));
            CollectionAssert.AreEqual(Glb, again);
            Assert.AreEqual(1, _transport.Requests.Count, "the second load hit the cache");
            StringAssert.Contains("cache hit", _logger.All);
        }

        [Test]
        public void CancellationIsAborted()
        {
            var source = new CancellationTokenSource();
            source.Cancel();
            Assert.AreEqual(ErrorCodes.Aborted, Run.Code(() => Fetcher().FetchAsync(Chair(), null, source.Token)));
            CollectionAssert.IsEmpty(_transport.Requests);

            var during = new CancellationTokenSource();
            _transport.Then(ScriptedTransport.Status(500));
            _delay.OnDelay = during.Cancel;
            Assert.AreEqual(ErrorCodes.Aborted, Run.Code(() => Fetcher().FetchAsync(Chair(), null, during.Token)));
            Assert.AreEqual(1, _transport.Requests.Count, "no attempt after cancelling during the backoff");
        }

        [Test]
        public void FetchesAndReadsAManifestWithAByteOrderMark()
        {
            var text = Manifests.Text();
            var body = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Bytes.Of(text)).ToArray();
            _transport.Then(ScriptedTransport.Status(502)).Then(ScriptedTransport.Ok(body));
            var manifest = Run.Sync(Fetcher().FetchManifestAsync("https://cdn.example.com/kiln/run-42/manifest.json", CancellationToken.None));
            Assert.AreEqual("acme", manifest.TenantId);
            Assert.AreEqual(1, _delay.Delays.Count);
        }

        [Test]
        public void ReportsAnInvalidManifestAsAManifestError()
        {
            _transport.Then(ScriptedTransport.Ok(Bytes.Of("{\"manifestVersion\":\"2.0\"}")));
            var error = Run.Error(() => Fetcher().FetchManifestAsync("https://cdn.example.com/m.json", CancellationToken.None)) as ManifestException;
            Assert.IsNotNull(error);
            Assert.AreEqual(ErrorCodes.ManifestVersionUnsupported, error.Code);
            Assert.Throws<KilnValidationException>(() => Fetcher().FetchManifestAsync("cdn.example.com/m.json", CancellationToken.None).GetAwaiter().GetResult());
        }

        [Test]
        public void ListsKtxCodecsThatNeedAMissingPackage()
        {
            var manifest = Manifests.Parse(chairExtra: ",\"textureCodecs\":[\"ktx2-etc1s\",\"png\",\"ktx2-uastc\"]");
            CollectionAssert.AreEqual(new[] { "ktx2-etc1s", "ktx2-uastc" }, DecoderSupport.MissingCodecs(manifest.FindAsset("chair"), false).ToArray());
            CollectionAssert.IsEmpty(DecoderSupport.MissingCodecs(manifest.FindAsset("chair"), true));
            CollectionAssert.IsEmpty(DecoderSupport.MissingCodecs(manifest.FindAsset("rock"), false));
        }

        /// <summary>An IProgress that reports synchronously (Progress&lt;T&gt; posts to a context).</summary>
        sealed class SyncProgress : IProgress<float>
        {
            readonly Action<float> _report;
            public SyncProgress(Action<float> report) { _report = report; }
            public void Report(float value) { _report(value); }
        }
    }
}
