using System;
using NUnit.Framework;

namespace Kiln.Loader.Core.Tests
{
    [TestFixture]
    public class RetryPolicyTests
    {
        static RetryPolicy Policy(params double[] randoms)
        {
            var random = new SequenceRandom(randoms.Length == 0 ? new[] { 0.5 } : randoms);
            return new RetryPolicy(random: random.Next);
        }

        [Test]
        public void MirrorsTheStoragePackageDefaults()
        {
            var policy = new RetryPolicy();
            Assert.AreEqual(3, policy.MaxAttempts);
            Assert.AreEqual(TimeSpan.FromMilliseconds(200), policy.BaseDelay);
            Assert.AreEqual(TimeSpan.FromSeconds(5), policy.MaxDelay);
            Assert.AreEqual(1, policy.MaxUrlRefreshes);
        }

        [TestCase(0, 0.5, 100)]
        [TestCase(1, 0.5, 200)]
        [TestCase(2, 0.5, 400)]
        [TestCase(4, 0.999, 3196)]
        [TestCase(5, 0.999, 4995)]
        [TestCase(30, 0.999, 4995)]
        [TestCase(3, 0.0, 0)]
        public void BacksOffExponentiallyWithFullJitter(int attempt, double random, double expectedMs)
        {
            // floor(random · min(5000, 200 · 2^attempt))
            Assert.AreEqual(TimeSpan.FromMilliseconds(expectedMs), Policy(random).BackoffDelay(attempt));
        }

        [Test]
        public void DrawsANewRandomForEachDelay()
        {
            var policy = Policy(0.25, 0.75);
            Assert.AreEqual(TimeSpan.FromMilliseconds(50), policy.BackoffDelay(0));
            Assert.AreEqual(TimeSpan.FromMilliseconds(300), policy.BackoffDelay(1));
        }

        [Test]
        public void RefusesARandomSourceOutOfRange()
        {
            Assert.Throws<InvalidOperationException>(() => Policy(1.0).BackoffDelay(0));
        }

        [TestCase(500)]
        [TestCase(502)]
        [TestCase(503)]
        [TestCase(429)]
        [TestCase(408)]
        [TestCase(425)]
        public void RetriesTransientStatusesUntilTheAttemptsRunOut(int status)
        {
            var policy = Policy(0.5);
            var first = policy.Decide(0, 0, DownloadFailure.Http(status));
            Assert.AreEqual(RetryAction.Retry, first.Action);
            Assert.AreEqual(TimeSpan.FromMilliseconds(100), first.Delay);
            Assert.AreEqual(RetryAction.Retry, policy.Decide(1, 0, DownloadFailure.Http(status)).Action);
            var last = policy.Decide(2, 0, DownloadFailure.Http(status));
            Assert.AreEqual(RetryAction.Fail, last.Action);
            Assert.AreEqual(ErrorCodes.DownloadFailed, last.ErrorCode);
        }

        [TestCase(FailureKind.Network, "download_failed")]
        [TestCase(FailureKind.Timeout, "download_failed")]
        [TestCase(FailureKind.Integrity, "integrity_mismatch")]
        public void RetriesFailuresWithoutAStatus(FailureKind kind, string finalCode)
        {
            var policy = Policy(0.5);
            Assert.AreEqual(RetryAction.Retry, policy.Decide(0, 0, DownloadFailure.Of(kind)).Action);
            var last = policy.Decide(2, 0, DownloadFailure.Of(kind));
            Assert.AreEqual(RetryAction.Fail, last.Action);
            Assert.AreEqual(finalCode, last.ErrorCode);
        }

        [TestCase(401, "access_denied")]
        [TestCase(404, "not_found")]
        [TestCase(410, "not_found")]
        [TestCase(400, "download_failed")]
        [TestCase(416, "download_failed")]
        public void NeverRetriesPermanentStatuses(int status, string code)
        {
            var decision = Policy().Decide(0, 0, DownloadFailure.Http(status));
            Assert.AreEqual(RetryAction.Fail, decision.Action);
            Assert.AreEqual(code, decision.ErrorCode);
        }

        [Test]
        public void RefreshesTheUrlOnForbiddenThenGivesUp()
        {
            var policy = Policy();
            var first = policy.Decide(0, 0, DownloadFailure.Http(403));
            Assert.AreEqual(RetryAction.RefreshUrl, first.Action);
            Assert.AreEqual(TimeSpan.Zero, first.Delay, "a refresh is not a backoff");
            var second = policy.Decide(0, 1, DownloadFailure.Http(403));
            Assert.AreEqual(RetryAction.Fail, second.Action);
            Assert.AreEqual(ErrorCodes.AccessDenied, second.ErrorCode);
            Assert.AreEqual(RetryAction.Fail, new RetryPolicy(maxUrlRefreshes: 0).Decide(0, 0, DownloadFailure.Http(403)).Action);
        }

        [Test]
        public void HonoursRetryAfterUpToItsLimit()
        {
            var policy = Policy(0.5);
            var wait = policy.Decide(0, 0, DownloadFailure.Http(503, TimeSpan.FromSeconds(7)));
            Assert.AreEqual(RetryAction.Retry, wait.Action);
            Assert.AreEqual(TimeSpan.FromSeconds(7), wait.Delay);
            var tooLong = policy.Decide(0, 0, DownloadFailure.Http(429, TimeSpan.FromMinutes(5)));
            Assert.AreEqual(RetryAction.Fail, tooLong.Action);
            Assert.AreEqual(ErrorCodes.DownloadFailed, tooLong.ErrorCode);
            StringAssert.Contains("retry after 300 s", tooLong.Reason);
        }

        [Test]
        public void ParsesRetryAfterSecondsAndDates()
        {
            var now = new DateTimeOffset(2025, 1, 31, 12, 0, 0, TimeSpan.Zero);
            Assert.AreEqual(TimeSpan.FromSeconds(120), RetryPolicy.ParseRetryAfter("120", now));
            Assert.AreEqual(TimeSpan.FromSeconds(90), RetryPolicy.ParseRetryAfter("Fri, 31 Jan 2025 12:01:30 GMT", now));
            Assert.AreEqual(TimeSpan.Zero, RetryPolicy.ParseRetryAfter("Fri, 31 Jan 2025 11:00:00 GMT", now));
            Assert.IsNull(RetryPolicy.ParseRetryAfter("soon", now));
            Assert.IsNull(RetryPolicy.ParseRetryAfter("-5", now));
            Assert.IsNull(RetryPolicy.ParseRetryAfter(null, now));
        }

        [Test]
        public void ValidatesItsOptions()
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => new RetryPolicy(maxAttempts: 0));
            Assert.Throws<ArgumentOutOfRangeException>(() => new RetryPolicy(maxUrlRefreshes: -1));
            Assert.Throws<ArgumentOutOfRangeException>(() => new RetryPolicy(baseDelay: TimeSpan.FromMilliseconds(-1)));
        }
    }
}
