using System;
using System.Text;

namespace Kiln.Loader.Core
{
    /// <summary>
    /// URL helpers shared with <c>@kiln/manifest</c> (<c>joinCdnUrl</c>, <c>stripQuery</c>) and
    /// JavaScript's <c>encodeURIComponent</c>, byte for byte.
    /// </summary>
    public static class CdnUrl
    {
        const string Hex = "0123456789ABCDEF";

        /// <summary>
        /// JavaScript's <c>encodeURIComponent</c>: UTF-8, percent-encoding with uppercase hex of every
        /// character except <c>A-Z a-z 0-9 - _ . ! ~ * ' ( )</c>. Unlike .NET's
        /// <c>Uri.EscapeDataString</c>, it keeps <c>! * ' ( )</c>.
        /// </summary>
        /// <exception cref="KilnValidationException">The text holds a lone surrogate (JavaScript throws a URIError).</exception>
        public static string EncodeUriComponent(string value)
        {
            if (value == null) throw new ArgumentNullException("value");
            StringBuilder builder = null;
            for (var i = 0; i < value.Length; i++)
            {
                var c = value[i];
                if (IsUnreserved(c))
                {
                    if (builder != null) builder.Append(c);
                    continue;
                }
                if (builder == null)
                {
                    builder = new StringBuilder(value.Length + 16);
                    builder.Append(value, 0, i);
                }
                int codePoint;
                if (char.IsHighSurrogate(c))
                {
                    if (i + 1 >= value.Length || !char.IsLowSurrogate(value[i + 1])) throw LoneSurrogate();
                    codePoint = char.ConvertToUtf32(c, value[i + 1]);
                    i++;
                }
                else if (char.IsLowSurrogate(c))
                {
                    throw LoneSurrogate();
                }
                else
                {
                    codePoint = c;
                }
                AppendUtf8(builder, codePoint);
            }
            return builder == null ? value : builder.ToString();
        }

        /// <summary>
        /// Joins a storage key to a CDN base URL like every Kiln reader: trailing slashes of the base
        /// are dropped, then <c>/</c>, then each <c>/</c>-separated segment of the key passed through
        /// <see cref="EncodeUriComponent"/>. The base itself is used as is.
        /// </summary>
        /// <example><c>Join("https://cdn.example.com/", "acme/my chair #2.glb")</c> is <c>https://cdn.example.com/acme/my%20chair%20%232.glb</c>.</example>
        /// <exception cref="KilnValidationException">The key is not well-formed Unicode.</exception>
        public static string Join(string baseUrl, string key)
        {
            if (baseUrl == null) throw new ArgumentNullException("baseUrl");
            if (key == null) throw new ArgumentNullException("key");
            var segments = key.Split('/');
            for (var i = 0; i < segments.Length; i++) segments[i] = EncodeUriComponent(segments[i]);
            var end = baseUrl.Length;
            while (end > 0 && baseUrl[end - 1] == '/') end--;
            return baseUrl.Substring(0, end) + "/" + string.Join("/", segments);
        }

        /// <summary>
        /// Removes the query string and fragment of a URL, for logs and messages: presigned URLs carry
        /// credentials and expiry in their query string.
        /// </summary>
        public static string StripQuery(string url)
        {
            if (url == null) return null;
            var end = url.IndexOfAny(new[] { '?', '#' });
            return end < 0 ? url : url.Substring(0, end);
        }

        static bool IsUnreserved(char c)
        {
            return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                || c == '-' || c == '_' || c == '.' || c == '!' || c == '~' || c == '*' || c == '\'' || c == '(' || c == ')';
        }

        static void AppendUtf8(StringBuilder builder, int codePoint)
        {
            if (codePoint < 0x80)
            {
                AppendByte(builder, codePoint);
            }
            else if (codePoint < 0x800)
            {
                AppendByte(builder, 0xC0 | (codePoint >> 6));
                AppendByte(builder, 0x80 | (codePoint & 0x3F));
            }
            else if (codePoint < 0x10000)
            {
                AppendByte(builder, 0xE0 | (codePoint >> 12));
                AppendByte(builder, 0x80 | ((codePoint >> 6) & 0x3F));
                AppendByte(builder, 0x80 | (codePoint & 0x3F));
            }
            else
            {
                AppendByte(builder, 0xF0 | (codePoint >> 18));
                AppendByte(builder, 0x80 | ((codePoint >> 12) & 0x3F));
                AppendByte(builder, 0x80 | ((codePoint >> 6) & 0x3F));
                AppendByte(builder, 0x80 | (codePoint & 0x3F));
            }
        }

        static void AppendByte(StringBuilder builder, int b)
        {
            builder.Append('%').Append(Hex[(b >> 4) & 0xF]).Append(Hex[b & 0xF]);
        }

        static KilnValidationException LoneSurrogate()
        {
            const string message = "must be well-formed Unicode (no lone surrogate)";
            return new KilnValidationException("joinCdnUrl: invalid input: key: " + message, new[] { new ValidationIssue("key", message) });
        }
    }
}
