using System;
using System.Collections.Generic;

namespace Kiln.Loader.Core.Json
{
    /// <summary>The six kinds of JSON value.</summary>
    public enum JsonKind
    {
        Null,
        Boolean,
        Number,
        String,
        Array,
        Object,
    }

    /// <summary>
    /// An immutable-by-convention JSON value, as read by <see cref="JsonReader"/>. Numbers are IEEE 754
    /// doubles, as in JavaScript, so a value read here compares like the TypeScript reader's.
    /// </summary>
    public abstract class JsonValue
    {
        /// <summary>The kind of this value.</summary>
        public abstract JsonKind Kind { get; }

        /// <summary>The JSON type name used in messages, as zod names them ("string", "number", "array", …).</summary>
        public string TypeName
        {
            get
            {
                switch (Kind)
                {
                    case JsonKind.Null: return "null";
                    case JsonKind.Boolean: return "boolean";
                    case JsonKind.Number: return "number";
                    case JsonKind.String: return "string";
                    case JsonKind.Array: return "array";
                    default: return "object";
                }
            }
        }

        /// <summary>Structural equality: same kind, equal numbers, strings, items in order, and members regardless of order.</summary>
        public static bool DeepEquals(JsonValue a, JsonValue b)
        {
            if (ReferenceEquals(a, b)) return true;
            if (a == null || b == null || a.Kind != b.Kind) return false;
            switch (a.Kind)
            {
                case JsonKind.Null:
                    return true;
                case JsonKind.Boolean:
                    return ((JsonBoolean)a).Value == ((JsonBoolean)b).Value;
                case JsonKind.Number:
                    return ((JsonNumber)a).Value.Equals(((JsonNumber)b).Value);
                case JsonKind.String:
                    return string.Equals(((JsonString)a).Value, ((JsonString)b).Value, StringComparison.Ordinal);
                case JsonKind.Array:
                {
                    var x = (JsonArray)a;
                    var y = (JsonArray)b;
                    if (x.Count != y.Count) return false;
                    for (var i = 0; i < x.Count; i++)
                    {
                        if (!DeepEquals(x[i], y[i])) return false;
                    }
                    return true;
                }
                default:
                {
                    var x = (JsonObject)a;
                    var y = (JsonObject)b;
                    if (x.Count != y.Count) return false;
                    foreach (var member in x.Members)
                    {
                        JsonValue other;
                        if (!y.TryGetValue(member.Key, out other) || !DeepEquals(member.Value, other)) return false;
                    }
                    return true;
                }
            }
        }

        /// <summary>Compact JSON text of this value (see <see cref="JsonWriter"/>).</summary>
        public override string ToString()
        {
            return JsonWriter.Write(this);
        }
    }

    /// <summary>JSON <c>null</c>.</summary>
    public sealed class JsonNull : JsonValue
    {
        /// <summary>The only instance.</summary>
        public static readonly JsonNull Instance = new JsonNull();

        JsonNull() { }

        /// <inheritdoc />
        public override JsonKind Kind { get { return JsonKind.Null; } }
    }

    /// <summary>JSON <c>true</c> or <c>false</c>.</summary>
    public sealed class JsonBoolean : JsonValue
    {
        /// <summary><c>true</c>.</summary>
        public static readonly JsonBoolean True = new JsonBoolean(true);
        /// <summary><c>false</c>.</summary>
        public static readonly JsonBoolean False = new JsonBoolean(false);

        JsonBoolean(bool value) { Value = value; }

        /// <summary>The value.</summary>
        public bool Value { get; private set; }

        /// <inheritdoc />
        public override JsonKind Kind { get { return JsonKind.Boolean; } }
    }

    /// <summary>A JSON number, held as a double like JavaScript's <c>JSON.parse</c>.</summary>
    public sealed class JsonNumber : JsonValue
    {
        /// <summary>Creates a number.</summary>
        public JsonNumber(double value) { Value = value; }

        /// <summary>The value; infinite when the text overflowed a double (<c>1e400</c>), as in JavaScript.</summary>
        public double Value { get; private set; }

        /// <inheritdoc />
        public override JsonKind Kind { get { return JsonKind.Number; } }

        /// <summary>True for a finite integral value within ±(2^53 − 1), JavaScript's <c>Number.isSafeInteger</c>.</summary>
        public bool IsSafeInteger
        {
            get { return IsSafeIntegerValue(Value); }
        }

        /// <summary><c>Number.isSafeInteger</c> for any double.</summary>
        public static bool IsSafeIntegerValue(double value)
        {
            return !double.IsNaN(value) && !double.IsInfinity(value) && Math.Floor(value) == value
                && Math.Abs(value) <= 9007199254740991d;
        }
    }

    /// <summary>A JSON string (UTF-16, lone surrogates kept as JavaScript keeps them).</summary>
    public sealed class JsonString : JsonValue
    {
        /// <summary>Creates a string.</summary>
        public JsonString(string value)
        {
            if (value == null) throw new ArgumentNullException("value");
            Value = value;
        }

        /// <summary>The value.</summary>
        public string Value { get; private set; }

        /// <inheritdoc />
        public override JsonKind Kind { get { return JsonKind.String; } }
    }

    /// <summary>A JSON array.</summary>
    public sealed class JsonArray : JsonValue
    {
        readonly List<JsonValue> _items;

        /// <summary>Creates an empty array.</summary>
        public JsonArray() { _items = new List<JsonValue>(); }

        /// <summary>Creates an array of the given items.</summary>
        public JsonArray(IEnumerable<JsonValue> items) { _items = new List<JsonValue>(items); }

        /// <inheritdoc />
        public override JsonKind Kind { get { return JsonKind.Array; } }

        /// <summary>Number of items.</summary>
        public int Count { get { return _items.Count; } }

        /// <summary>The item at <paramref name="index"/>.</summary>
        public JsonValue this[int index] { get { return _items[index]; } }

        /// <summary>The items, in order.</summary>
        public IReadOnlyList<JsonValue> Items { get { return _items; } }

        /// <summary>Appends an item.</summary>
        public void Add(JsonValue value)
        {
            if (value == null) throw new ArgumentNullException("value");
            _items.Add(value);
        }
    }

    /// <summary>
    /// A JSON object. Members keep their first position; a repeated name takes the last value, as
    /// JavaScript's <c>JSON.parse</c> does.
    /// </summary>
    public sealed class JsonObject : JsonValue
    {
        readonly List<KeyValuePair<string, JsonValue>> _members = new List<KeyValuePair<string, JsonValue>>();
        readonly Dictionary<string, int> _index = new Dictionary<string, int>(StringComparer.Ordinal);

        /// <inheritdoc />
        public override JsonKind Kind { get { return JsonKind.Object; } }

        /// <summary>Number of members.</summary>
        public int Count { get { return _members.Count; } }

        /// <summary>The members, in order of first appearance.</summary>
        public IEnumerable<KeyValuePair<string, JsonValue>> Members { get { return _members; } }

        /// <summary>The member names, in order.</summary>
        public IEnumerable<string> Keys
        {
            get
            {
                foreach (var member in _members) yield return member.Key;
            }
        }

        /// <summary>True if a member has this name.</summary>
        public bool ContainsKey(string name) { return _index.ContainsKey(name); }

        /// <summary>Gets a member's value.</summary>
        public bool TryGetValue(string name, out JsonValue value)
        {
            int position;
            if (_index.TryGetValue(name, out position))
            {
                value = _members[position].Value;
                return true;
            }
            value = null;
            return false;
        }

        /// <summary>A member's value, or null when absent.</summary>
        public JsonValue Get(string name)
        {
            JsonValue value;
            return TryGetValue(name, out value) ? value : null;
        }

        /// <summary>Sets a member: replaces the value in place, or appends a new member.</summary>
        public void Set(string name, JsonValue value)
        {
            if (name == null) throw new ArgumentNullException("name");
            if (value == null) throw new ArgumentNullException("value");
            int position;
            if (_index.TryGetValue(name, out position))
            {
                _members[position] = new KeyValuePair<string, JsonValue>(name, value);
            }
            else
            {
                _index[name] = _members.Count;
                _members.Add(new KeyValuePair<string, JsonValue>(name, value));
            }
        }

        /// <summary>A deep copy of this object.</summary>
        public JsonObject DeepClone()
        {
            return (JsonObject)Clone(this);
        }

        static JsonValue Clone(JsonValue value)
        {
            var obj = value as JsonObject;
            if (obj != null)
            {
                var copy = new JsonObject();
                foreach (var member in obj._members) copy.Set(member.Key, Clone(member.Value));
                return copy;
            }
            var array = value as JsonArray;
            if (array != null)
            {
                var copy = new JsonArray();
                foreach (var item in array.Items) copy.Add(Clone(item));
                return copy;
            }
            return value; // null, booleans, numbers and strings are immutable
        }
    }
}
