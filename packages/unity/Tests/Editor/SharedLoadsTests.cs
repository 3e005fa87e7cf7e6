using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;

namespace Kiln.Loader.Core.Tests
{
    [TestFixture]
    public class SharedLoadsTests : AsyncFixture
    {
        sealed class Handle
        {
            public readonly string Name;
            public int Disposed;
            public Handle(string name) { Name = name; }
        }

        List<Handle> _disposed;
        SharedLoads<string, Handle> _loads;
        int _loadCount;

        [SetUp]
        public void SetUp()
        {
            _disposed = new List<Handle>();
            _loads = new SharedLoads<string, Handle>(handle =>
            {
                handle.Disposed++;
                _disposed.Add(handle);
            });
            _loadCount = 0;
        }

        Func<CancellationToken, Task<Handle>> Immediate(string name)
        {
            return token =>
            {
                _loadCount++;
                return Task.FromResult(new Handle(name));
            };
        }

        [Test]
        public void SharesOneLoadAndDisposesAfterTheLastRelease()
        {
            var first = Run.Sync(_loads.AcquireAsync("chair#0", Immediate("a"), CancellationToken.None));
            var second = Run.Sync(_loads.AcquireAsync("chair#0", Immediate("b"), CancellationToken.None));
            Assert.AreSame(first.Value, second.Value);
            Assert.AreEqual(1, _loadCount);
            Assert.AreEqual(2, _loads.RefCount("chair#0"));

            first.Dispose();
            first.Dispose(); // twice is harmless
            Assert.AreEqual(1, _loads.RefCount("chair#0"));
            CollectionAssert.IsEmpty(_disposed);

            second.Dispose();
            Assert.AreEqual(1, _disposed.Count);
            Assert.AreEqual(1, _disposed[0].Disposed, "disposed exactly once");
            Assert.AreEqual(0, _loads.Count);
            Assert.IsTrue(first.IsDisposed && second.IsDisposed);
        }

        [Test]
        public void LoadsAgainAfterTheValueWasReleased()
        {
            Run.Sync(_loads.AcquireAsync("k", Immediate("a"), CancellationToken.None)).Dispose();
            var again = Run.Sync(_loads.AcquireAsync("k", Immediate("b"), CancellationToken.None));
            Assert.AreEqual("b", again.Value.Name);
            Assert.AreEqual(2, _loadCount);
        }

        [Test]
        public void ConcurrentCallersWaitForTheSameLoad()
        {
            var pending = new TaskCompletionSource<Handle>();
            var starts = 0;
            Func<CancellationToken, Task<Handle>> load = token =>
            {
                starts++;
                return pending.Task;
            };
            var a = _loads.AcquireAsync("k", load, CancellationToken.None);
            var b = _loads.AcquireAsync("k", load, CancellationToken.None);
            Assert.IsFalse(a.IsCompleted);
            Assert.AreEqual(1, starts);
            Assert.IsFalse(_loads.IsLoaded("k"));
            pending.SetResult(new Handle("x"));
            Assert.AreSame(Run.Sync(a).Value, Run.Sync(b).Value);
            Assert.IsTrue(_loads.IsLoaded("k"));
        }

        [Test]
        public void CancelsALoadNobodyWaitsForAndDisposesItsLateResult()
        {
            var pending = new TaskCompletionSource<Handle>();
            CancellationToken seen = CancellationToken.None;
            var caller = new CancellationTokenSource();
            var waiting = _loads.AcquireAsync("k", token =>
            {
                seen = token;
                return pending.Task;
            }, caller.Token);
            caller.Cancel();
            Assert.IsInstanceOf<OperationCanceledException>(Run.Error(() => waiting));
            Assert.IsTrue(seen.IsCancellationRequested, "the load itself was cancelled");
            Assert.AreEqual(0, _loads.Count);

            var late = new Handle("late");
            pending.SetResult(late); // the load ignored the token and finished anyway
            CollectionAssert.AreEqual(new[] { late }, _disposed);
        }

        [Test]
        public void KeepsLoadingWhileAnotherCallerStillWaits()
        {
            var pending = new TaskCompletionSource<Handle>();
            var quitter = new CancellationTokenSource();
            var a = _loads.AcquireAsync("k", t => pending.Task, quitter.Token);
            var b = _loads.AcquireAsync("k", t => pending.Task, CancellationToken.None);
            quitter.Cancel();
            Assert.IsInstanceOf<OperationCanceledException>(Run.Error(() => a));
            pending.SetResult(new Handle("x"));
            var lease = Run.Sync(b);
            Assert.AreEqual(1, _loads.RefCount("k"));
            CollectionAssert.IsEmpty(_disposed);
            lease.Dispose();
            Assert.AreEqual(1, _disposed.Count);
        }

        [Test]
        public void ForgetsAFailedLoadSoTheNextAcquireRetries()
        {
            var error = Run.Error(() => _loads.AcquireAsync("k", t => { var f = new TaskCompletionSource<Handle>(); f.SetException(new InvalidOperationException("import failed")); return f.Task; }, CancellationToken.None));
            Assert.IsInstanceOf<InvalidOperationException>(error);
            Assert.AreEqual(0, _loads.Count);
            var lease = Run.Sync(_loads.AcquireAsync("k", Immediate("ok"), CancellationToken.None));
            Assert.AreEqual("ok", lease.Value.Name);
        }

        [Test]
        public void DisposeAllFreesEverythingOnce()
        {
            var a = Run.Sync(_loads.AcquireAsync("a", Immediate("a"), CancellationToken.None));
            var b = Run.Sync(_loads.AcquireAsync("b", Immediate("b"), CancellationToken.None));
            _loads.DisposeAll();
            Assert.AreEqual(2, _disposed.Count);
            a.Dispose();
            b.Dispose();
            Assert.AreEqual(2, _disposed.Count, "outstanding leases became no-ops");
            Assert.IsTrue(_disposed.TrueForAll(h => h.Disposed == 1));
        }
    }
}
