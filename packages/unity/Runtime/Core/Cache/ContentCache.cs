using System;
using System.Collections.Generic;
using System.Text;

namespace Kiln.Loader.Core
{
    /// <summary>
    /// A content-addressed cache of verified files over an <see cref="IBlobStore"/>, bounded by an LRU
    /// size budget. Keyed by SHA-256 (never by URL), so new presigned URLs hit the same entry and
    /// identical files are stored once. Bytes are checked against their hash before they are stored
    /// and, by default, when they are read back; a corrupt entry is deleted and reported as a miss.
    /// Blobs in use (<see cref="Pin"/>) are never evicted.
    /// </summary>
    public sealed class ContentCache
    {
        /// <summary>Path of the persisted LRU index in the store.</summary>
        public const string IndexPath = "index.json";

        readonly IBlobStore _store;
        readonly IClock _clock;
        readonly IKilnLogger _logger;
        readonly Dictionary<string, int> _pins = new Dictionary<string, int>(StringComparer.Ordinal);
        readonly object _gate = new object();
        LruIndex _index;

        /// <summary>Opens the cache, reading the persisted index or rebuilding it from the store's listing.</summary>
        public ContentCache(IBlobStore store, long budgetBytes, IClock clock = null, IKilnLogger logger = null, bool verifyOnRead = true)
        {
            if (store == null) throw new ArgumentNullException("store");
            _store = store;
            _clock = clock ?? SystemClock.Instance;
            _logger = logger ?? NullKilnLogger.Instance;
            VerifyOnRead = verifyOnRead;
            byte[] indexBytes;
            LruIndex index;
            if (store.TryRead(IndexPath, out indexBytes) && LruIndex.TryFromJson(Encoding.UTF8.GetString(indexBytes), budgetBytes, out index))
            {
                _index = index;
            }
            else
            {
                _index = new LruIndex(budgetBytes);
                foreach (var blob in store.List())
                {
                    var sha = ShaOf(blob.Key);
                    if (sha != null) _index.Touch(sha, blob.Value, 0);
                }
                if (_index.Count > 0) _logger.Log(KilnLogLevel.Info, "cache: rebuilt the index from " + _index.Count + " stored files");
            }
            EnforceBudget(0);
        }

        /// <summary>Whether reads re-hash the bytes (default true: catches disk corruption and tampering).</summary>
        public bool VerifyOnRead { get; private set; }
        /// <summary>The LRU bookkeeping (read-only use).</summary>
        public LruIndex Index { get { return _index; } }

        /// <summary>The verified bytes of <paramref name="sha256"/>, or null on a miss (absent, wrong size, or corrupt and deleted).</summary>
        public byte[] TryGet(string sha256, long expectedBytes)
        {
            var path = CacheKeys.BlobPath(sha256);
            lock (_gate)
            {
                byte[] data;
                if (!_store.TryRead(path, out data))
                {
                    if (_index.Remove(sha256)) Save();
                    return null;
                }
                if (data.LongLength != expectedBytes || (VerifyOnRead && !Integrity.Matches(data, sha256, expectedBytes)))
                {
                    _logger.Log(KilnLogLevel.Warning, "cache: dropping corrupt entry " + sha256);
                    _store.Delete(path);
                    _index.Remove(sha256);
                    Save();
                    return null;
                }
                _index.Touch(sha256, data.LongLength, Now());
                Save();
                return data;
            }
        }

        /// <summary>
        /// Stores verified bytes, evicting least recently used, unpinned entries to stay within the
        /// budget. Returns false (and stores nothing) when the file is larger than the budget or
        /// cannot fit beside the pinned entries.
        /// </summary>
        /// <exception cref="LoadException"><c>integrity_mismatch</c>: the bytes do not hash to <paramref name="sha256"/>.</exception>
        public bool Put(string sha256, byte[] data)
        {
            var path = CacheKeys.BlobPath(sha256);
            Integrity.Verify(data, sha256, data.LongLength, "cache.put " + sha256);
            lock (_gate)
            {
                if (_index.Contains(sha256))
                {
                    _index.Touch(sha256, data.LongLength, Now());
                    Save();
                    return true;
                }
                if (!_index.CanAdmit(data.LongLength))
                {
                    _logger.Log(KilnLogLevel.Info, "cache: not caching " + sha256 + " (" + data.LongLength + " bytes exceed the " + _index.BudgetBytes + "-byte budget)");
                    return false;
                }
                if (!EnforceBudget(data.LongLength))
                {
                    _logger.Log(KilnLogLevel.Info, "cache: not caching " + sha256 + ": files in use fill the budget");
                    return false;
                }
                _store.Write(path, data);
                _index.Touch(sha256, data.LongLength, Now());
                Save();
                return true;
            }
        }

        /// <summary>Marks a blob in use (counted): it is not evicted until as many <see cref="Unpin"/> calls.</summary>
        public void Pin(string sha256)
        {
            lock (_gate)
            {
                int count;
                _pins.TryGetValue(sha256, out count);
                _pins[sha256] = count + 1;
            }
        }

        /// <summary>Releases one <see cref="Pin"/>.</summary>
        public void Unpin(string sha256)
        {
            lock (_gate)
            {
                int count;
                if (!_pins.TryGetValue(sha256, out count)) return;
                if (count <= 1) _pins.Remove(sha256);
                else _pins[sha256] = count - 1;
            }
        }

        /// <summary>Deletes every cached blob.</summary>
        public void Clear()
        {
            lock (_gate)
            {
                foreach (var key in _index.KeysByAge)
                {
                    _store.Delete(CacheKeys.BlobPath(key));
                    _index.Remove(key);
                }
                Save();
            }
        }

        bool EnforceBudget(long incoming)
        {
            var victims = _index.PlanEviction(incoming, _pins.Keys);
            foreach (var key in victims)
            {
                _store.Delete(CacheKeys.BlobPath(key));
                _index.Remove(key);
                _logger.Log(KilnLogLevel.Debug, "cache: evicted " + key);
            }
            if (victims.Count > 0) Save();
            return _index.Fits(incoming);
        }

        void Save()
        {
            _store.Write(IndexPath, Encoding.UTF8.GetBytes(_index.ToJson()));
        }

        long Now()
        {
            return _clock.UtcNow.ToUnixTimeMilliseconds();
        }

        static string ShaOf(string path)
        {
            var slash = path.LastIndexOf('/');
            var name = slash < 0 ? path : path.Substring(slash + 1);
            return ManifestSchema.IsSha256(name) && path == CacheKeys.BlobPath(name) ? name : null;
        }
    }
}
