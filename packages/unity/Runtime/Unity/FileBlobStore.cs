using System;
using System.Collections.Generic;
using System.IO;
using Kiln.Loader.Core;

namespace Kiln.Loader
{
    /// <summary>
    /// <see cref="IBlobStore"/> on a folder, by default <c>Application.persistentDataPath/kiln-cache</c>.
    /// Writes go to a temporary file first and are then moved into place, so a crash never leaves
    /// half a file under a content hash (and a damaged file would fail its hash check anyway).
    /// </summary>
    public sealed class FileBlobStore : IBlobStore
    {
        const string TempMarker = ".tmp-";
        readonly string _root;

        /// <summary>Creates the store on <paramref name="rootDirectory"/> (created on first write).</summary>
        public FileBlobStore(string rootDirectory)
        {
            if (string.IsNullOrEmpty(rootDirectory)) throw new ArgumentException("a directory is required", "rootDirectory");
            _root = Path.GetFullPath(rootDirectory);
        }

        /// <summary>The folder.</summary>
        public string Root { get { return _root; } }

        /// <inheritdoc />
        public bool TryRead(string path, out byte[] data)
        {
            data = null;
            var full = FullPath(path);
            try
            {
                if (!File.Exists(full)) return false;
                data = File.ReadAllBytes(full);
                return true;
            }
            catch (IOException)
            {
                return false;
            }
            catch (UnauthorizedAccessException)
            {
                return false;
            }
        }

        /// <inheritdoc />
        public void Write(string path, byte[] data)
        {
            var full = FullPath(path);
            Directory.CreateDirectory(Path.GetDirectoryName(full));
            var temp = full + TempMarker + Guid.NewGuid().ToString("N");
            try
            {
                File.WriteAllBytes(temp, data);
                if (File.Exists(full)) File.Delete(full);
                File.Move(temp, full);
            }
            finally
            {
                if (File.Exists(temp)) File.Delete(temp);
            }
        }

        /// <inheritdoc />
        public bool Delete(string path)
        {
            var full = FullPath(path);
            if (!File.Exists(full)) return false;
            File.Delete(full);
            return true;
        }

        /// <inheritdoc />
        public IEnumerable<KeyValuePair<string, long>> List()
        {
            var result = new List<KeyValuePair<string, long>>();
            if (!Directory.Exists(_root)) return result;
            foreach (var file in Directory.GetFiles(_root, "*", SearchOption.AllDirectories))
            {
                if (file.IndexOf(TempMarker, StringComparison.Ordinal) >= 0)
                {
                    TryDelete(file); // left over by a crash
                    continue;
                }
                var relative = file.Substring(_root.Length).TrimStart(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar)
                    .Replace(Path.DirectorySeparatorChar, '/');
                result.Add(new KeyValuePair<string, long>(relative, new FileInfo(file).Length));
            }
            return result;
        }

        string FullPath(string path)
        {
            if (string.IsNullOrEmpty(path) || path[0] == '/' || path.IndexOf('\\') >= 0 || path.IndexOf(':') >= 0 || Array.IndexOf(path.Split('/'), "..") >= 0)
                throw new ArgumentException("not a relative blob path: " + path, "path");
            return Path.Combine(_root, path.Replace('/', Path.DirectorySeparatorChar));
        }

        static void TryDelete(string file)
        {
            try
            {
                File.Delete(file);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
