using System;
using System.Collections.Generic;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Kiln.Loader.Core
{
    /// <summary>Cache keys derived from content hashes, never from URLs.</summary>
    public static class CacheKeys
    {
        /// <summary><c>assetId#level@sha256</c>, as <c>@kiln/manifest</c>'s <c>cacheKey</c>: stable across new presigned URLs.</summary>
        public static string For(string assetId, int level, string sha256)
        {
            return assetId + "#" + level.ToString(CultureInfo.InvariantCulture) + "@" + sha256;
        }

        /// <summary>
        /// Relative path of a blob in a content-addressed store: <c>ab/abcdef…</c> (two-character fan-out).
        /// Identical files of different assets or levels share one blob.
        /// </summary>
        /// <exception cref="ArgumentException">Not a 64-character lowercase hex digest (would not make a safe path).</exception>
        public static string BlobPath(string sha256)
        {
            if (!ManifestSchema.IsSha256(sha256)) throw new ArgumentException("not a lowercase hex SHA-256 digest", "sha256");
            return sha256.Substring(0, 2) + "/" + sha256;
        }
    }

    /// <summary>SHA-256 of downloaded bytes and their check against the manifest.</summary>
    public static class Integrity
    {
        /// <summary>Lowercase hex SHA-256 of <paramref name="data"/>.</summary>
        public static string Sha256Hex(byte[] data)
        {
            if (data == null) throw new ArgumentNullException("data");
            using (var sha = SHA256.Create())
            {
                return ToHex(sha.ComputeHash(data));
            }
        }

        /// <summary>
        /// Checks that <paramref name="data"/> has the expected size (cheap, first) and SHA-256.
        /// </summary>
        /// <exception cref="LoadException"><c>integrity_mismatch</c>, with the expected and actual values in <see cref="KilnException.Details"/>.</exception>
        public static void Verify(byte[] data, string expectedSha256, long expectedBytes, string label)
        {
            if (data == null) throw new ArgumentNullException("data");
            if (data.LongLength != expectedBytes)
            {
                throw new LoadException(ErrorCodes.IntegrityMismatch,
                    label + ": expected " + expectedBytes + " bytes, got " + data.LongLength,
                    new Dictionary<string, object> { { "expectedBytes", expectedBytes }, { "actualBytes", data.LongLength } });
            }
            var actual = Sha256Hex(data);
            if (!string.Equals(actual, expectedSha256, StringComparison.Ordinal))
            {
                throw new LoadException(ErrorCodes.IntegrityMismatch,
                    label + ": SHA-256 " + actual + " does not match the manifest's " + expectedSha256,
                    new Dictionary<string, object> { { "expectedSha256", expectedSha256 }, { "actualSha256", actual } });
            }
        }

        /// <summary>True when <paramref name="data"/> has the expected size and SHA-256.</summary>
        public static bool Matches(byte[] data, string expectedSha256, long expectedBytes)
        {
            return data != null && data.LongLength == expectedBytes && string.Equals(Sha256Hex(data), expectedSha256, StringComparison.Ordinal);
        }

        static string ToHex(byte[] bytes)
        {
            var builder = new StringBuilder(bytes.Length * 2);
            foreach (var b in bytes) builder.Append(b.ToString("x2", CultureInfo.InvariantCulture));
            return builder.ToString();
        }
    }
}
