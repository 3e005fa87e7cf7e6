// Compile-only stand-in for the UnityEditor.TestRunner assembly (com.unity.test-framework) that
// com.kiln.loader's Editor tests reference by name in their asmdef. Kiln calls none of its APIs, so
// it only has to exist. Not Unity's code; do not ship.
namespace UnityEditor.TestTools
{
    static class KilnStubMarker
    {
    }
}
