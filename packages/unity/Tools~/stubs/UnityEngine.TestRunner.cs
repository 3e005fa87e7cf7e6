// Compile-only stub of the Unity Test Framework attribute that com.kiln.loader's PlayMode tests use
// (com.unity.test-framework, https://docs.unity3d.com/Packages/com.unity.test-framework@1.3/manual/reference-attribute-unitytest.html).
// In Unity, UnityTestAttribute derives from NUnit's CombiningStrategyAttribute; here it is a plain
// attribute, enough to compile. Not Unity's code; do not ship.
using System;

namespace UnityEngine.TestTools
{
    // [UnityTest] marks a coroutine test: public IEnumerator Test() { yield return null; }
    [AttributeUsage(AttributeTargets.Method)]
    public class UnityTestAttribute : Attribute
    {
    }
}
