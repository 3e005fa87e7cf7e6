using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Kiln.Loader.Core
{
    /// <summary>
    /// Reads the expiry that presigned URLs carry in their query string, so a loader can refresh a URL
    /// before it fails. Recognised (parameter names are matched case-insensitively):
    /// <list type="bullet">
    /// <item>S3 / SigV4 and GCS V4: <c>X-Amz-Date</c> + <c>X-Amz-Expires</c>, <c>X-Goog-Date</c> + <c>X-Goog-Expires</c> (<c>yyyyMMddTHHmmssZ</c> + seconds);</item>
    /// <item><c>@kiln/storage</c>'s fs driver: <c>X-Kiln-Expires</c> (Unix seconds);</item>
    /// <item>S3 SigV2 and CloudFront canned policies: <c>Expires</c> (Unix seconds).</item>
    /// </list>
    /// Any other URL has no known expiry; it is refreshed only when the server answers 403.
    /// </summary>
    public static class PresignedUrl
    {
        /// <summary>The query parameters of <paramref name="url"/>, percent-decoded (later duplicates win).</summary>
        public static IDictionary<string, string> QueryParameters(string url)
        {
            var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            if (url == null) return result;
            var question = url.IndexOf('?');
            if (question < 0) return result;
            var hash = url.IndexOf('#', question);
            var query = hash < 0 ? url.Substring(question + 1) : url.Substring(question + 1, hash - question - 1);
            foreach (var pair in query.Split('&'))
            {
                if (pair.Length == 0) continue;
                var equals = pair.IndexOf('=');
                var name = Decode(equals < 0 ? pair : pair.Substring(0, equals));
                var value = equals < 0 ? string.Empty : Decode(pair.Substring(equals + 1));
                result[name] = value;
            }
            return result;
        }

        /// <summary>When the URL stops working, or null if it carries no expiry this class knows.</summary>
        public static DateTimeOffset? TryGetExpiry(string url)
        {
            var query = QueryParameters(url);
            if (query.Count == 0) return null;
            var signed = SignedAt(query, "X-Amz-Date", "X-Amz-Expires") ?? SignedAt(query, "X-Goog-Date", "X-Goog-Expires");
            if (signed.HasValue) return signed;
            string value;
            if (query.TryGetValue("X-Kiln-Expires", out value) || query.TryGetValue("Expires", out value))
            {
                long seconds;
                if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out seconds) && seconds < 253402300800L)
                    return DateTimeOffset.FromUnixTimeSeconds(seconds);
            }
            return null;
        }

        /// <summary>
        /// True when the URL's known expiry is within <paramref name="margin"/> of <paramref name="now"/>
        /// (or past). False for URLs without a known expiry.
        /// </summary>
        public static bool IsExpired(string url, DateTimeOffset now, TimeSpan margin)
        {
            var expiry = TryGetExpiry(url);
            return expiry.HasValue && now + margin >= expiry.Value;
        }

        static DateTimeOffset? SignedAt(IDictionary<string, string> query, string dateName, string expiresName)
        {
            string date;
            string expires;
            if (!query.TryGetValue(dateName, out date) || !query.TryGetValue(expiresName, out expires)) return null;
            DateTime signedAt;
            if (!DateTime.TryParseExact(date, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture,
                    DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out signedAt)) return null;
            long seconds;
            if (!long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out seconds) || seconds > 100L * 365 * 24 * 3600) return null;
            return new DateTimeOffset(signedAt, TimeSpan.Zero).AddSeconds(seconds);
        }

        static string Decode(string value)
        {
            var plus = value.Replace('+', ' ');
            if (plus.IndexOf('%') < 0) return plus;
            var bytes = new List<byte>();
            var builder = new StringBuilder();
            for (var i = 0; i < plus.Length; i++)
            {
                var c = plus[i];
                if (c == '%' && i + 2 < plus.Length && Uri.IsHexDigit(plus[i + 1]) && Uri.IsHexDigit(plus[i + 2]))
                {
                    bytes.Add((byte)Convert.ToInt32(plus.Substring(i + 1, 2), 16));
                    i += 2;
                    continue;
                }
                Flush(bytes, builder);
                builder.Append(c);
            }
            Flush(bytes, builder);
            return builder.ToString();
        }

        static void Flush(List<byte> bytes, StringBuilder builder)
        {
            if (bytes.Count == 0) return;
            builder.Append(Encoding.UTF8.GetString(bytes.ToArray()));
            bytes.Clear();
        }
    }
}
