using System;
using System.Globalization;
using System.Text;

namespace Kiln.Loader.Core
{
    /// <summary>
    /// Validation of absolute http(s) URLs with the outcome of <c>@kiln/manifest</c>'s zod checks:
    /// the value is trimmed of JavaScript whitespace and stripped of tabs and newlines (as zod's URL
    /// check outputs it), must start with <c>http://</c> or <c>https://</c> (lowercase), contain no
    /// whitespace, and parse as a URL with a valid host and port. The host check follows the WHATWG
    /// URL parser (forbidden host characters, IPv4 numbers, IPv6 brackets, ports up to 65535) but
    /// does not run IDNA on non-ASCII host names.
    /// </summary>
    public static class HttpUrl
    {
        /// <summary>Message of a value that is not an absolute http(s) URL.</summary>
        public const string NotHttpUrl = "must be an absolute http(s) URL";

        /// <summary>
        /// Checks an asset or variant <c>url</c>. Returns the normalised URL, or null with
        /// <paramref name="error"/> set.
        /// </summary>
        public static string NormalizeUrl(string value, out string error)
        {
            var normalized = ParseCommon(value, out error);
            if (normalized == null) return null;
            for (var i = "http://".Length; i < normalized.Length; i++)
            {
                if (JsText.IsWhitespace(normalized[i]))
                {
                    error = "must be an absolute http(s) URL (lowercase scheme, no whitespace)";
                    return null;
                }
            }
            if (!normalized.StartsWith("http://", StringComparison.Ordinal) && !normalized.StartsWith("https://", StringComparison.Ordinal)
                || normalized.Length == (normalized[4] == 's' ? 8 : 7))
            {
                error = "must be an absolute http(s) URL (lowercase scheme, no whitespace)";
                return null;
            }
            return normalized;
        }

        /// <summary>
        /// Checks a <c>cdnBaseUrl</c>: an absolute http(s) URL without query string or fragment.
        /// Returns the normalised URL, or null with <paramref name="error"/> set.
        /// </summary>
        public static string NormalizeBaseUrl(string value, out string error)
        {
            var normalized = ParseCommon(value, out error);
            if (normalized == null) return null;
            const string message = "must be an absolute http(s) URL without query string or fragment";
            var scheme = normalized.StartsWith("https://", StringComparison.Ordinal) ? 8 : normalized.StartsWith("http://", StringComparison.Ordinal) ? 7 : -1;
            if (scheme < 0 || normalized.Length == scheme)
            {
                error = message;
                return null;
            }
            for (var i = scheme; i < normalized.Length; i++)
            {
                var c = normalized[i];
                if (c == '?' || c == '#' || JsText.IsWhitespace(c))
                {
                    error = message;
                    return null;
                }
            }
            return normalized;
        }

        static string ParseCommon(string value, out string error)
        {
            error = null;
            var trimmed = JsText.Trim(value);
            if (!(StartsWithIgnoreCase(trimmed, "http://") || StartsWithIgnoreCase(trimmed, "https://")) || !IsParseable(trimmed))
            {
                error = NotHttpUrl;
                return null;
            }
            return StripTabAndNewline(trimmed);
        }

        static bool StartsWithIgnoreCase(string value, string prefix)
        {
            return value.StartsWith(prefix, StringComparison.OrdinalIgnoreCase);
        }

        static string StripTabAndNewline(string value)
        {
            if (value.IndexOfAny(new[] { '\t', '\n', '\r' }) < 0) return value;
            var builder = new StringBuilder(value.Length);
            foreach (var c in value)
            {
                if (c != '\t' && c != '\n' && c != '\r') builder.Append(c);
            }
            return builder.ToString();
        }

        /// <summary>Whether the WHATWG URL parser accepts an http(s) URL (approximation, see the class summary).</summary>
        static bool IsParseable(string input)
        {
            // The parser first strips leading and trailing C0 controls and spaces, then every tab and newline.
            var start = 0;
            var end = input.Length;
            while (start < end && input[start] <= ' ') start++;
            while (end > start && input[end - 1] <= ' ') end--;
            var url = StripTabAndNewline(input.Substring(start, end - start));
            var colon = url.IndexOf(':');
            if (colon < 0) return false;
            var position = colon + 1;
            // Special schemes ignore any number of slashes and backslashes before the authority.
            while (position < url.Length && (url[position] == '/' || url[position] == '\\')) position++;
            var authorityEnd = position;
            while (authorityEnd < url.Length && "/\\?#".IndexOf(url[authorityEnd]) < 0) authorityEnd++;
            var authority = url.Substring(position, authorityEnd - position);
            var at = authority.LastIndexOf('@');
            var hostPort = at >= 0 ? authority.Substring(at + 1) : authority;
            if (hostPort.Length == 0) return false;

            string host;
            string port;
            if (hostPort[0] == '[')
            {
                var close = hostPort.IndexOf(']');
                if (close < 0) return false;
                host = hostPort.Substring(0, close + 1);
                var rest = hostPort.Substring(close + 1);
                if (rest.Length > 0 && rest[0] != ':') return false;
                port = rest.Length > 0 ? rest.Substring(1) : string.Empty;
                if (!IsIpv6(host.Substring(1, host.Length - 2))) return false;
            }
            else
            {
                var portColon = hostPort.IndexOf(':');
                host = portColon >= 0 ? hostPort.Substring(0, portColon) : hostPort;
                port = portColon >= 0 ? hostPort.Substring(portColon + 1) : string.Empty;
                if (!IsDomainOrIpv4(host)) return false;
            }
            if (port.Length > 0)
            {
                foreach (var c in port)
                {
                    if (c < '0' || c > '9') return false;
                }
                var trimmedPort = port.TrimStart('0');
                if (trimmedPort.Length > 5) return false;
                if (trimmedPort.Length > 0 && int.Parse(trimmedPort, CultureInfo.InvariantCulture) > 65535) return false;
            }
            return true;
        }

        static bool IsDomainOrIpv4(string host)
        {
            if (host.Length == 0) return false;
            string decoded;
            if (!TryPercentDecodeUtf8(host, out decoded)) return false;
            foreach (var c in decoded)
            {
                if (c <= 0x1F || c == 0x7F || " #%/:<>?@[\\]^|".IndexOf(c) >= 0) return false;
            }
            // A host whose last label is a number is parsed as IPv4 (WHATWG "ends in a number").
            var labels = decoded.Split('.');
            var count = labels.Length;
            if (count > 1 && labels[count - 1].Length == 0) count--;
            var last = labels[count - 1];
            if (last.Length == 0) return true;
            var lastIsNumber = IsDecimal(last) || ((last.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) && IsHex(last.Substring(2)));
            if (!lastIsNumber) return true;
            return IsIpv4(labels, count);
        }

        static bool IsIpv4(string[] labels, int count)
        {
            if (count > 4) return false;
            var values = new double[count];
            for (var i = 0; i < count; i++)
            {
                var part = labels[i];
                if (part.Length == 0) return false;
                double number;
                if (part.Length > 1 && (part.StartsWith("0x", StringComparison.OrdinalIgnoreCase)))
                {
                    var hex = part.Substring(2);
                    if (!IsHex(hex)) return false;
                    number = 0;
                    foreach (var c in hex) number = number * 16 + Convert.ToInt32(c.ToString(), 16);
                }
                else if (part.Length > 1 && part[0] == '0')
                {
                    number = 0;
                    foreach (var c in part.Substring(1))
                    {
                        if (c < '0' || c > '7') return false;
                        number = number * 8 + (c - '0');
                    }
                }
                else
                {
                    if (!IsDecimal(part)) return false;
                    number = 0;
                    foreach (var c in part) number = number * 10 + (c - '0');
                }
                values[i] = number;
            }
            for (var i = 0; i < count - 1; i++)
            {
                if (values[i] > 255) return false;
            }
            return values[count - 1] < Math.Pow(256, 5 - count);
        }

        static bool IsIpv6(string address)
        {
            if (address.Length == 0) return false;
            var colons = 0;
            foreach (var c in address)
            {
                if (c == ':') colons++;
                else if (!(IsHexDigit(c) || c == '.')) return false;
            }
            if (colons < 2 || colons > 7) return false;
            var doubleColon = address.IndexOf("::", StringComparison.Ordinal);
            if (doubleColon >= 0 && address.IndexOf("::", doubleColon + 1, StringComparison.Ordinal) >= 0) return false;
            var groups = address.Split(':');
            var nonEmpty = 0;
            for (var i = 0; i < groups.Length; i++)
            {
                var group = groups[i];
                if (group.Length == 0) continue;
                nonEmpty++;
                if (group.IndexOf('.') >= 0)
                {
                    if (i != groups.Length - 1 || !IsIpv4(group.Split('.'), group.Split('.').Length) || group.Split('.').Length != 4) return false;
                    nonEmpty++;
                    continue;
                }
                if (group.Length > 4) return false;
            }
            return doubleColon >= 0 ? nonEmpty <= 7 : nonEmpty == 8;
        }

        static bool TryPercentDecodeUtf8(string value, out string decoded)
        {
            if (value.IndexOf('%') < 0)
            {
                decoded = value;
                return true;
            }
            var bytes = new System.Collections.Generic.List<byte>();
            for (var i = 0; i < value.Length; i++)
            {
                var c = value[i];
                if (c == '%' && i + 2 < value.Length && IsHexDigit(value[i + 1]) && IsHexDigit(value[i + 2]))
                {
                    bytes.Add((byte)Convert.ToInt32(value.Substring(i + 1, 2), 16));
                    i += 2;
                }
                else
                {
                    bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
                }
            }
            try
            {
                decoded = new UTF8Encoding(false, true).GetString(bytes.ToArray());
                return true;
            }
            catch (ArgumentException)
            {
                decoded = null;
                return false;
            }
        }

        static bool IsDecimal(string value)
        {
            if (value.Length == 0) return false;
            foreach (var c in value)
            {
                if (c < '0' || c > '9') return false;
            }
            return true;
        }

        static bool IsHex(string value)
        {
            foreach (var c in value)
            {
                if (!IsHexDigit(c)) return false;
            }
            return true;
        }

        static bool IsHexDigit(char c)
        {
            return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        }
    }

    /// <summary>JavaScript's notion of whitespace (<c>\s</c>, <c>String.prototype.trim</c>).</summary>
    public static class JsText
    {
        /// <summary>True for a character JavaScript's <c>\s</c> matches.</summary>
        public static bool IsWhitespace(char c)
        {
            switch (c)
            {
                case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
                case '\u00a0': case '\u1680': case '\u2028': case '\u2029': case '\u202f':
                case '\u205f': case '\u3000': case '\ufeff':
                    return true;
                default:
                    return c >= '\u2000' && c <= '\u200a';
            }
        }

        /// <summary>True for a line terminator, which JavaScript's <c>.</c> does not match.</summary>
        public static bool IsLineTerminator(char c)
        {
            return c == '\n' || c == '\r' || c == '\u2028' || c == '\u2029';
        }

        /// <summary><c>String.prototype.trim</c>.</summary>
        public static string Trim(string value)
        {
            var start = 0;
            var end = value.Length;
            while (start < end && IsWhitespace(value[start])) start++;
            while (end > start && IsWhitespace(value[end - 1])) end--;
            return start == 0 && end == value.Length ? value : value.Substring(start, end - start);
        }
    }
}
