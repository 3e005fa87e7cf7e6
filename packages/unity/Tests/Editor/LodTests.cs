using System;
using System.Linq;
using NUnit.Framework;

namespace Kiln.Loader.Core.Tests
{
    [TestFixture]
    public class LodSelectorTests
    {
        static readonly KilnManifest Manifest = Manifests.Parse();

        [TestCase(0d, null, 0)]
        [TestCase(9.999, null, 0)]
        [TestCase(10d, null, 1)]
        [TestCase(49.999, null, 1)]
        [TestCase(50d, null, 2)]
        [TestCase(double.PositiveInfinity, null, 2)]
        [TestCase(0d, "mobile", 1)]
        [TestCase(60d, "mobile", 2)]
        [TestCase(0d, "pc", 0)]
        [TestCase(0d, "web", 0)]
        public void PicksByDistanceWithThePlatformFloor(double distance, string platform, int expected)
        {
            Assert.AreEqual(expected, LodSelector.Select(Manifest.FindAsset("chair"), new LodQuery { Distance = distance, Platform = platform }));
        }

        [TestCase(1d, 0)]
        [TestCase(0.5, 1)]
        [TestCase(0.3, 1)]
        [TestCase(0.1, 2)]
        [TestCase(0d, 2)]
        public void PicksByScreenCoverage(double coverage, int expected)
        {
            Assert.AreEqual(expected, LodSelector.Select(Manifest.FindAsset("rock"), new LodQuery { ScreenCoverage = coverage }));
        }

        [Test]
        public void IgnoresTheOtherMeasure()
        {
            Assert.AreEqual(0, LodSelector.Select(Manifest.FindAsset("chair"), new LodQuery { ScreenCoverage = 0.01 }));
            Assert.AreEqual(0, LodSelector.Select(Manifest.FindAsset("rock"), new LodQuery { Distance = 1000 }));
        }

        [Test]
        public void AppliesAndClampsTheAssetsOwnFloor()
        {
            var manifest = Manifests.Parse(chairExtra: ",\"platformMinLod\":{\"mobile\":0,\"console\":7}");
            var chair = manifest.FindAsset("chair");
            Assert.AreEqual(0, LodSelector.Select(chair, new LodQuery { Distance = 0, Platform = "mobile" }));
            Assert.AreEqual(2, LodSelector.Select(chair, new LodQuery { Distance = 0, Platform = "console" }));
        }

        [Test]
        public void RejectsInvalidQueriesWithEveryIssue()
        {
            var error = Assert.Throws<KilnValidationException>(() =>
                LodSelector.Select(Manifest.FindAsset("chair"), new LodQuery { Distance = -1, ScreenCoverage = double.NaN, Platform = "switch" }));
            CollectionAssert.AreEqual(new[] { "distance", "screenCoverage", "platform" }, error.Issues.Select(i => i.Path).ToArray());
        }
    }

    [TestFixture]
    public class LodGroupPlanTests
    {
        [Test]
        public void UsesCoverageThresholdsAsTransitionHeights()
        {
            var plan = LodGroupPlan.Build(Manifests.Parse().FindAsset("rock"));
            CollectionAssert.AreEqual(new[] { 0, 1, 2 }, plan.Select(e => e.Level).ToArray());
            Assert.AreEqual(0.5f, plan[0].ScreenRelativeTransitionHeight);
            Assert.AreEqual(0.1f, plan[1].ScreenRelativeTransitionHeight);
            Assert.AreEqual(0f, plan[2].ScreenRelativeTransitionHeight, "never culled by default");
        }

        [Test]
        public void TurnsDistancesIntoScreenHeights()
        {
            // 2 m object, 90° field of view: at 10 m it covers 2 / (2 · 10 · tan 45°) = 0.1 of the screen.
            var plan = LodGroupPlan.Build(Manifests.Parse().FindAsset("chair"), new LodGroupPlanOptions { ObjectSize = 2, FieldOfViewDegrees = 90, CullBelow = 0.001 });
            Assert.That(plan[0].ScreenRelativeTransitionHeight, Is.EqualTo(0.1f).Within(1e-6));
            Assert.That(plan[1].ScreenRelativeTransitionHeight, Is.EqualTo(0.02f).Within(1e-6));
            Assert.That(plan[2].ScreenRelativeTransitionHeight, Is.EqualTo(0.001f).Within(1e-7));
            Assert.That(LodGroupPlan.DistanceFor(0.1, 2, 90), Is.EqualTo(10).Within(1e-9));
        }

        [Test]
        public void DropsLevelsUnderThePlatformFloor()
        {
            var plan = LodGroupPlan.Build(Manifests.Parse().FindAsset("rock"), new LodGroupPlanOptions { Platform = "mobile" });
            CollectionAssert.AreEqual(new[] { 1, 2 }, plan.Select(e => e.Level).ToArray());
            Assert.AreEqual(0.1f, plan[0].ScreenRelativeTransitionHeight);
        }

        [Test]
        public void KeepsHeightsStrictlyDecreasing()
        {
            // A first threshold at distance 0 gives height 1, which Unity would refuse as LOD0's transition.
            var json = Manifests.Text().Replace("\"switchDistance\":10", "\"switchDistance\":0");
            var plan = LodGroupPlan.Build(ManifestReader.Parse(json).FindAsset("chair"));
            Assert.Less(plan[0].ScreenRelativeTransitionHeight, 1f);
            for (var i = 1; i < plan.Count; i++) Assert.Less(plan[i].ScreenRelativeTransitionHeight, plan[i - 1].ScreenRelativeTransitionHeight);
        }

        [Test]
        public void GivesASingleEntryForAnAssetWithoutVariants()
        {
            var json = Manifests.Text().Replace(",\"lods\":[{\"key\":\"acme/chair/lod1.glb\"", ",\"x\":[{\"key\":\"acme/chair/lod1.glb\"");
            var plan = LodGroupPlan.Build(ManifestReader.Parse(json).FindAsset("chair"), new LodGroupPlanOptions { Platform = "mobile" });
            Assert.AreEqual(1, plan.Count);
            Assert.AreEqual(0, plan[0].Level);
        }

        [Test]
        public void RejectsBadOptions()
        {
            var error = Assert.Throws<KilnValidationException>(() => LodGroupPlan.Build(Manifests.Parse().FindAsset("rock"),
                new LodGroupPlanOptions { ObjectSize = 0, FieldOfViewDegrees = 180, CullBelow = 1, Platform = "tv" }));
            CollectionAssert.AreEquivalent(new[] { "platform", "objectSize", "fieldOfViewDegrees", "cullBelow" }, error.Issues.Select(i => i.Path).ToArray());
        }
    }
}
