// Compile-only stub of the UnityEditor APIs that com.kiln.loader's Editor assembly calls, from the
// Unity 2022.3 Scripting Reference (https://docs.unity3d.com/2022.3/Documentation/ScriptReference/).
// Signatures only; every body throws. Not Unity's code; do not ship.
using System;

namespace UnityEditor
{
    // https://docs.unity3d.com/2022.3/Documentation/ScriptReference/MenuItem.html
    [AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
    public sealed class MenuItem : Attribute
    {
        // public MenuItem(string itemName);
        public MenuItem(string itemName) { }
    }

    // https://docs.unity3d.com/2022.3/Documentation/ScriptReference/EditorUtility.html
    public sealed class EditorUtility
    {
        // EditorUtility.DisplayDialog: public static bool DisplayDialog(string title, string message, string ok, string cancel = "");
        public static bool DisplayDialog(string title, string message, string ok, string cancel = "") { throw new NotSupportedException("compile-only UnityEditor stub"); }
        // EditorUtility.OpenFilePanel: public static string OpenFilePanel(string title, string directory, string extension);
        public static string OpenFilePanel(string title, string directory, string extension) { throw new NotSupportedException("compile-only UnityEditor stub"); }
    }
}
