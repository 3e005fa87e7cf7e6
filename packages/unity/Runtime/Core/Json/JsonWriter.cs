using System;
using System.Globalization;
using System.Text;

namespace Kiln.Loader.Core.Json
{
    /// <summary>
    /// Writes compact JSON exactly as JavaScript's <c>JSON.stringify(value)</c> does: numbers in the
    /// shortest form that reads back to the same double (<c>0.1</c>, <c>1e+21</c>, <c>1.5e-7</c>),
    /// non-finite numbers as <c>null</c>, strings with <c>\uXXXX</c> escapes for control characters
    /// and lone surrogates, members in order.
    /// </summary>
    public static class JsonWriter
    {
        /// <summary>The compact JSON text of <paramref name="value"/>.</summary>
        public static string Write(JsonValue value)
        {
            if (value == null) throw new ArgumentNullException("value");
            var builder = new StringBuilder();
            Append(builder, value);
            return builder.ToString();
        }

        static void Append(StringBuilder builder, JsonValue value)
        {
            switch (value.Kind)
            {
                case JsonKind.Null:
                    builder.Append("null");
                    break;
                case JsonKind.Boolean:
                    builder.Append(((JsonBoolean)value).Value ? "true" : "false");
                    break;
                case JsonKind.Number:
                    builder.Append(FormatNumber(((JsonNumber)value).Value));
                    break;
                case JsonKind.String:
                    AppendString(builder, ((JsonString)value).Value);
                    break;
                case JsonKind.Array:
                {
                    builder.Append('[');
                    var first = true;
                    foreach (var item in ((JsonArray)value).Items)
                    {
                        if (!first) builder.Append(',');
                        first = false;
                        Append(builder, item);
                    }
                    builder.Append(']');
                    break;
                }
                default:
                {
                    builder.Append('{');
                    var first = true;
                    foreach (var member in ((JsonObject)value).Members)
                    {
                        if (!first) builder.Append(',');
                        first = false;
                        AppendString(builder, member.Key);
                        builder.Append(':');
                        Append(builder, member.Value);
                    }
                    builder.Append('}');
                    break;
                }
            }
        }

        /// <summary>A JSON string literal of <paramref name="value"/>, escaped like <c>JSON.stringify</c>.</summary>
        public static string Quote(string value)
        {
            var builder = new StringBuilder(value.Length + 2);
            AppendString(builder, value);
            return builder.ToString();
        }

        static void AppendString(StringBuilder builder, string value)
        {
            builder.Append('"');
            for (var i = 0; i < value.Length; i++)
            {
                var c = value[i];
                switch (c)
                {
                    case '"': builder.Append("\\\""); continue;
                    case '\\': builder.Append("\\\\"); continue;
                    case '\b': builder.Append("\\b"); continue;
                    case '\f': builder.Append("\\f"); continue;
                    case '\n': builder.Append("\\n"); continue;
                    case '\r': builder.Append("\\r"); continue;
                    case '\t': builder.Append("\\t"); continue;
                }
                if (c < 0x20)
                {
                    AppendEscape(builder, c);
                }
                else if (char.IsHighSurrogate(c))
                {
                    if (i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                    {
                        builder.Append(c).Append(value[i + 1]);
                        i++;
                    }
                    else
                    {
                        AppendEscape(builder, c);
                    }
                }
                else if (char.IsLowSurrogate(c))
                {
                    AppendEscape(builder, c);
                }
                else
                {
                    builder.Append(c);
                }
            }
            builder.Append('"');
        }

        static void AppendEscape(StringBuilder builder, char c)
        {
            builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
        }

        /// <summary>
        /// JavaScript's <c>Number.prototype.toString()</c> for a finite double (ECMA-262
        /// Number::toString), <c>"null"</c> for NaN and infinities as in <c>JSON.stringify</c>.
        /// </summary>
        public static string FormatNumber(double value)
        {
            if (double.IsNaN(value) || double.IsInfinity(value)) return "null";
            if (value == 0) return "0"; // also -0
            var negative = value < 0;
            string digits;
            int exponent;
            ShortestDigits(Math.Abs(value), out digits, out exponent);
            var k = digits.Length;
            var n = exponent + 1; // value = 0.digits × 10^n
            var builder = new StringBuilder();
            if (negative) builder.Append('-');
            if (k <= n && n <= 21)
            {
                builder.Append(digits).Append('0', n - k);
            }
            else if (0 < n && n <= 21)
            {
                builder.Append(digits, 0, n).Append('.').Append(digits, n, k - n);
            }
            else if (-6 < n && n <= 0)
            {
                builder.Append("0.").Append('0', -n).Append(digits);
            }
            else
            {
                builder.Append(digits[0]);
                if (k > 1) builder.Append('.').Append(digits, 1, k - 1);
                builder.Append('e').Append(n - 1 >= 0 ? '+' : '-').Append(Math.Abs(n - 1).ToString(CultureInfo.InvariantCulture));
            }
            return builder.ToString();
        }

        /// <summary>The fewest significant digits that read back to <paramref name="value"/> (&gt; 0), and the decimal exponent of the first.</summary>
        static void ShortestDigits(double value, out string digits, out int exponent)
        {
            for (var precision = 1; precision <= 17; precision++)
            {
                var text = value.ToString("E" + (precision - 1).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
                if (precision < 17 && !ReadsBackAs(text, value)) continue;
                var e = text.IndexOf('E');
                var mantissa = text.Substring(0, e).Replace(".", string.Empty);
                exponent = int.Parse(text.Substring(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                digits = mantissa.TrimEnd('0');
                if (digits.Length == 0) digits = "0";
                return;
            }
            throw new InvalidOperationException("unreachable");
        }

        static bool ReadsBackAs(string text, double value)
        {
            try
            {
                return double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture) == value;
            }
            catch (OverflowException)
            {
                return false; // rounded past double.MaxValue
            }
        }
    }
}
