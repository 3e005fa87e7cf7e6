using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Kiln.Loader.Core.Json;

namespace Kiln.Loader.Core
{
    /// <summary>
    /// The bookkeeping of a size-bounded, least-recently-used cache: sizes and last-use stamps per key,
    /// and which keys to evict to fit a budget. Pure: it decides, the caller deletes.
    /// </summary>
    public sealed class LruIndex
    {
        sealed class Entry
        {
            public long Size;
            public long LastUsed;
        }

        readonly Dictionary<string, Entry> _entries = new Dictionary<string, Entry>(StringComparer.Ordinal);

        /// <summary>Creates an empty index.</summary>
        /// <exception cref="ArgumentOutOfRangeException">A negative budget.</exception>
        public LruIndex(long budgetBytes)
        {
            if (budgetBytes < 0) throw new ArgumentOutOfRangeException("budgetBytes", "must be >= 0");
            BudgetBytes = budgetBytes;
        }

        /// <summary>Most bytes the cache may hold.</summary>
        public long BudgetBytes { get; private set; }
        /// <summary>Bytes held.</summary>
        public long TotalBytes { get; private set; }
        /// <summary>Number of entries.</summary>
        public int Count { get { return _entries.Count; } }
        /// <summary>The keys, least recently used first.</summary>
        public IList<string> KeysByAge
        {
            get { return Ordered().Select(p => p.Key).ToList(); }
        }

        /// <summary>True when the key is indexed.</summary>
        public bool Contains(string key) { return _entries.ContainsKey(key); }

        /// <summary>Size of an entry, or -1.</summary>
        public long SizeOf(string key)
        {
            Entry entry;
            return _entries.TryGetValue(key, out entry) ? entry.Size : -1;
        }

        /// <summary>Adds an entry or marks it used at <paramref name="timestamp"/> (any monotonic number up to 2^53, such as Unix milliseconds).</summary>
        public void Touch(string key, long size, long timestamp)
        {
            if (key == null) throw new ArgumentNullException("key");
            if (size < 0) throw new ArgumentOutOfRangeException("size", "must be >= 0");
            Entry entry;
            if (_entries.TryGetValue(key, out entry))
            {
                TotalBytes += size - entry.Size;
                entry.Size = size;
                entry.LastUsed = Math.Max(entry.LastUsed, timestamp);
            }
            else
            {
                _entries[key] = new Entry { Size = size, LastUsed = timestamp };
                TotalBytes += size;
            }
        }

        /// <summary>Removes an entry; false when absent.</summary>
        public bool Remove(string key)
        {
            Entry entry;
            if (!_entries.TryGetValue(key, out entry)) return false;
            _entries.Remove(key);
            TotalBytes -= entry.Size;
            return true;
        }

        /// <summary>False for an item bigger than the whole budget: caching it would evict everything and still not fit.</summary>
        public bool CanAdmit(long size)
        {
            return size >= 0 && size <= BudgetBytes;
        }

        /// <summary>
        /// The keys to evict, least recently used first, so that the cache plus
        /// <paramref name="incomingBytes"/> fits the budget. Pinned keys (in use) are never chosen, so
        /// the result may not be enough: check <see cref="Fits"/>.
        /// </summary>
        public IList<string> PlanEviction(long incomingBytes, ICollection<string> pinned = null)
        {
            var victims = new List<string>();
            var total = TotalBytes + incomingBytes;
            foreach (var pair in Ordered())
            {
                if (total <= BudgetBytes) break;
                if (pinned != null && pinned.Contains(pair.Key)) continue;
                victims.Add(pair.Key);
                total -= pair.Value.Size;
            }
            return victims;
        }

        /// <summary>True when the cache plus <paramref name="incomingBytes"/> is within the budget.</summary>
        public bool Fits(long incomingBytes)
        {
            return TotalBytes + incomingBytes <= BudgetBytes;
        }

        IEnumerable<KeyValuePair<string, Entry>> Ordered()
        {
            return _entries.OrderBy(p => p.Value.LastUsed).ThenBy(p => p.Key, StringComparer.Ordinal);
        }

        /// <summary>The index as JSON, to persist next to the blobs.</summary>
        public string ToJson()
        {
            var entries = new JsonObject();
            foreach (var pair in Ordered())
            {
                var entry = new JsonObject();
                entry.Set("size", new JsonNumber(pair.Value.Size));
                entry.Set("lastUsed", new JsonNumber(pair.Value.LastUsed));
                entries.Set(pair.Key, entry);
            }
            var root = new JsonObject();
            root.Set("version", new JsonNumber(1));
            root.Set("entries", entries);
            return JsonWriter.Write(root);
        }

        /// <summary>
        /// Reads an index written by <see cref="ToJson"/>. False (and an empty index) for anything
        /// else: a damaged index is rebuilt, never trusted.
        /// </summary>
        public static bool TryFromJson(string json, long budgetBytes, out LruIndex index)
        {
            index = new LruIndex(budgetBytes);
            if (string.IsNullOrEmpty(json)) return false;
            try
            {
                var root = JsonReader.Parse(json) as JsonObject;
                var version = root == null ? null : root.Get("version") as JsonNumber;
                var entries = root == null ? null : root.Get("entries") as JsonObject;
                if (version == null || version.Value != 1 || entries == null) return false;
                var parsed = new LruIndex(budgetBytes);
                foreach (var member in entries.Members)
                {
                    var entry = member.Value as JsonObject;
                    var size = entry == null ? null : entry.Get("size") as JsonNumber;
                    var lastUsed = entry == null ? null : entry.Get("lastUsed") as JsonNumber;
                    if (size == null || lastUsed == null || !size.IsSafeInteger || size.Value < 0 || !lastUsed.IsSafeInteger) return false;
                    parsed.Touch(member.Key, (long)size.Value, (long)lastUsed.Value);
                }
                index = parsed;
                return true;
            }
            catch (JsonException)
            {
                return false;
            }
        }

        /// <inheritdoc />
        public override string ToString()
        {
            return string.Format(CultureInfo.InvariantCulture, "LruIndex({0} entries, {1}/{2} bytes)", Count, TotalBytes, BudgetBytes);
        }
    }
}
