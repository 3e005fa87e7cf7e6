using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Kiln.Loader.Core
{
    /// <summary>
    /// A counted reference to a shared value (a glTFast import, say). Disposing the lease releases
    /// the reference; disposing it twice is harmless. When the last lease is released, the value is
    /// disposed.
    /// </summary>
    public sealed class Lease<T> : IDisposable where T : class
    {
        Action _release;

        /// <summary>Creates a lease whose <see cref="Dispose"/> calls <paramref name="release"/> once.</summary>
        public Lease(T value, Action release)
        {
            Value = value;
            _release = release;
        }

        /// <summary>The shared value; do not use it after <see cref="Dispose"/>.</summary>
        public T Value { get; private set; }
        /// <summary>True once released.</summary>
        public bool IsDisposed { get { return _release == null; } }

        /// <summary>Releases this reference (once).</summary>
        public void Dispose()
        {
            var release = Interlocked.Exchange(ref _release, null);
            if (release != null) release();
        }
    }

    /// <summary>
    /// Reference-counted, de-duplicated loads: callers that want the same key share one load and one
    /// value; the value is disposed exactly once, when its last <see cref="Lease{T}"/> is released. A
    /// load nobody waits for any more is cancelled, and its result disposed when it arrives. A failed
    /// load is forgotten, so the next acquire tries again.
    /// </summary>
    public sealed class SharedLoads<TKey, TValue> where TValue : class
    {
        sealed class Entry
        {
            public int Refs;
            public TaskCompletionSource<TValue> Load;
            public CancellationTokenSource Cancel;
            public TValue Value;
            public bool Loaded;
            public bool Removed;
        }

        readonly Dictionary<TKey, Entry> _entries;
        readonly Action<TValue> _dispose;
        readonly object _gate = new object();

        /// <summary>Creates the table; <paramref name="dispose"/> frees a value whose last lease is gone.</summary>
        public SharedLoads(Action<TValue> dispose, IEqualityComparer<TKey> comparer = null)
        {
            if (dispose == null) throw new ArgumentNullException("dispose");
            _dispose = dispose;
            _entries = new Dictionary<TKey, Entry>(comparer ?? EqualityComparer<TKey>.Default);
        }

        /// <summary>Keys loaded or loading.</summary>
        public int Count
        {
            get { lock (_gate) return _entries.Count; }
        }

        /// <summary>Live leases on a key (0 when absent).</summary>
        public int RefCount(TKey key)
        {
            lock (_gate)
            {
                Entry entry;
                return _entries.TryGetValue(key, out entry) ? entry.Refs : 0;
            }
        }

        /// <summary>True when the key's value has loaded and is held.</summary>
        public bool IsLoaded(TKey key)
        {
            lock (_gate)
            {
                Entry entry;
                return _entries.TryGetValue(key, out entry) && entry.Loaded;
            }
        }

        /// <summary>
        /// A lease on the key's value, starting <paramref name="load"/> unless a load of the key is
        /// already loaded or in flight. <paramref name="cancellationToken"/> stops this caller's wait
        /// (and the load, if nobody else waits for it).
        /// </summary>
        public async Task<Lease<TValue>> AcquireAsync(TKey key, Func<CancellationToken, Task<TValue>> load, CancellationToken cancellationToken)
        {
            if (load == null) throw new ArgumentNullException("load");
            cancellationToken.ThrowIfCancellationRequested();
            Entry entry;
            var start = false;
            lock (_gate)
            {
                if (!_entries.TryGetValue(key, out entry))
                {
                    entry = new Entry { Cancel = new CancellationTokenSource(), Load = new TaskCompletionSource<TValue>() };
                    _entries[key] = entry;
                    start = true;
                }
                entry.Refs++;
            }
            if (start) Run(key, entry, load);
            TValue value;
            try
            {
                value = await WaitAsync(entry.Load.Task, cancellationToken);
            }
            catch
            {
                Release(key, entry);
                throw;
            }
            return new Lease<TValue>(value, () => Release(key, entry));
        }

        /// <summary>Disposes every loaded value and cancels pending loads (on shutdown). Outstanding leases become no-ops.</summary>
        public void DisposeAll()
        {
            List<Entry> entries;
            lock (_gate)
            {
                entries = new List<Entry>(_entries.Values);
                _entries.Clear();
                foreach (var entry in entries)
                {
                    entry.Removed = true;
                    entry.Refs = 0;
                }
            }
            foreach (var entry in entries)
            {
                if (entry.Loaded) _dispose(entry.Value);
                else entry.Cancel.Cancel();
            }
        }

        async void Run(TKey key, Entry entry, Func<CancellationToken, Task<TValue>> load)
        {
            TValue value;
            try
            {
                value = await load(entry.Cancel.Token);
            }
            catch (Exception error)
            {
                lock (_gate)
                {
                    Entry current;
                    if (!entry.Removed && _entries.TryGetValue(key, out current) && current == entry)
                    {
                        _entries.Remove(key);
                        entry.Removed = true;
                    }
                }
                var cancelled = error as OperationCanceledException;
                if (cancelled != null) entry.Load.TrySetCanceled();
                else entry.Load.TrySetException(error);
                return;
            }
            bool orphan;
            lock (_gate)
            {
                entry.Value = value;
                entry.Loaded = true;
                orphan = entry.Removed;
            }
            if (orphan)
            {
                // Everyone left (or DisposeAll ran) while it loaded: free it, and release any waiter.
                _dispose(value);
                entry.Load.TrySetCanceled();
            }
            else
            {
                entry.Load.TrySetResult(value);
            }
        }

        void Release(TKey key, Entry entry)
        {
            var disposeValue = false;
            var cancel = false;
            lock (_gate)
            {
                if (entry.Removed && entry.Refs == 0) return;
                entry.Refs--;
                if (entry.Refs > 0) return;
                Entry current;
                if (_entries.TryGetValue(key, out current) && current == entry) _entries.Remove(key);
                entry.Removed = true;
                if (entry.Loaded) disposeValue = true;
                else cancel = true;
            }
            if (disposeValue) _dispose(entry.Value);
            if (cancel) entry.Cancel.Cancel();
        }

        static async Task<TValue> WaitAsync(Task<TValue> task, CancellationToken cancellationToken)
        {
            if (!cancellationToken.CanBeCanceled || task.IsCompleted) return await task;
            var cancelled = new TaskCompletionSource<bool>();
            using (cancellationToken.Register(() => cancelled.TrySetResult(true)))
            {
                var first = await Task.WhenAny(task, cancelled.Task);
                if (first != task) throw new OperationCanceledException(cancellationToken);
            }
            return await task;
        }
    }
}
