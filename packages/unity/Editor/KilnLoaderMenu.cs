using System.IO;
using Kiln.Loader.Core;
using UnityEditor;

namespace Kiln.Loader.Editor
{
    /// <summary>Editor menu items: clear the disk cache, validate a manifest file.</summary>
    static class KilnLoaderMenu
    {
        [MenuItem("Tools/Kiln/Clear Asset Cache")]
        static void ClearCache()
        {
            var directory = KilnLoader.DefaultCacheDirectory;
            var store = new FileBlobStore(directory);
            var cache = new ContentCache(store, long.MaxValue);
            var files = cache.Index.Count;
            cache.Clear();
            EditorUtility.DisplayDialog("Kiln", "Deleted " + files + " cached file(s) from " + directory + ".", "OK");
        }

        [MenuItem("Tools/Kiln/Validate Manifest...")]
        static void ValidateManifest()
        {
            var path = EditorUtility.OpenFilePanel("Kiln manifest", string.Empty, "json");
            if (string.IsNullOrEmpty(path)) return;
            KilnManifest manifest;
            ManifestException error;
            if (ManifestReader.TryParse(File.ReadAllText(path), out manifest, out error))
            {
                var lods = 0;
                foreach (var asset in manifest.Assets) lods += asset.Lods.Count;
                EditorUtility.DisplayDialog("Kiln", "Valid manifest " + manifest.ManifestVersion + ": " + manifest.Assets.Count + " asset(s), " + lods + " LOD variant(s).", "OK");
            }
            else
            {
                EditorUtility.DisplayDialog("Kiln: invalid manifest", "[" + error.Code + "] " + error.Message, "OK");
            }
        }
    }
}
