// Compile-only stub of the UnityEngine APIs that com.kiln.loader calls, written by hand from the
// Unity 2022.3 Scripting Reference (https://docs.unity3d.com/2022.3/Documentation/ScriptReference/).
// It mirrors names, kinds and signatures only: every body throws, enum values and base classes
// are not Unity's, and members Kiln does not call are left out. It proves that the glue is
// consistent with the documented API, not that it behaves in Unity. Not Unity's code; do not ship.
using System;
using System.Collections;
using System.Collections.Generic;

namespace UnityEngine
{
    static class Stub
    {
        public static Exception Fail() { return new NotSupportedException("compile-only UnityEngine stub"); }
    }

    // https://docs.unity3d.com/2022.3/Documentation/ScriptReference/Object.html
    public class Object
    {
        // Object.name: public string name;
        public string name { get { throw Stub.Fail(); } set { throw Stub.Fail(); } }
        // Object.Destroy: public static void Destroy(Object obj, float t = 0.0F);
        public static void Destroy(Object obj, float t = 0.0F) { throw Stub.Fail(); }
        // Object.DontDestroyOnLoad: public static void DontDestroyOnLoad(Object target);
        public static void DontDestroyOnLoad(Object target) { throw Stub.Fail(); }
        // Object-operator_bool, Object-operator_eq, Object-operator_ne
        public static implicit operator bool(Object exists) { throw Stub.Fail(); }
        public static bool operator ==(Object x, Object y) { throw Stub.Fail(); }
        public static bool operator !=(Object x, Object y) { throw Stub.Fail(); }
        public override bool Equals(object other) { throw Stub.Fail(); }
        public override int GetHashCode() { throw Stub.Fail(); }
    }

    // https://docs.unity3d.com/2022.3/Documentation/ScriptReference/Component.html
    public class Component : Object
    {
        // Component.gameObject / Component.transform
        public GameObject gameObject { get { throw Stub.Fail(); } }
        public Transform transform { get { throw Stub.Fail(); } }
        // Component.GetComponentInChildren: public T GetComponentInChildren<T>();
        public T GetComponentInChildren<T>() { throw Stub.Fail(); }
        // Component.GetComponentsInChildren: public T[] GetComponentsInChildren<T>(bool includeInactive = false);
        public T[] GetComponentsInChildren<T>(bool includeInactive = false) { throw Stub.Fail(); }
    }

    // https://docs.unity3d.com/2022.3/Documentation/ScriptReference/Behaviour.html
    public class Behaviour : Component
    {
        public bool enabled { get { throw Stub.Fail(); } set { throw Stub.Fail(); } }
    }

    // https://docs.unity3d.com/2022.3/Documentation/ScriptReference/MonoBehaviour.html
    public class MonoBehaviour : Behaviour
    {
    }

    // https://docs.unity3d.com/2022.3/Documentation/ScriptReference/ScriptableObject.html
    public class ScriptableObject : Object
    {
        // ScriptableObject.CreateInstance: public static T CreateInstance<T>() where T : ScriptableObject;
        public static T CreateInstance<T>() where T : ScriptableObject { throw Stub.Fail(); }
    }

    // https://docs.unity3d.com/2022.3/Documentation/ScriptReference/GameObject.html
    public sealed class GameObject : Object
    {
        // GameObject constructor: public GameObject(string name);
        public GameObject(string name) { throw Stub.Fail(); }
        public Transform transform { get { throw Stub.Fail(); } }
        // GameObject.AddComponent: public T AddComponent<T>() where T : Component;
        public T AddComponent<T>() where T : Component { throw Stub.Fail(); }
        // GameObject.GetComponentInChildren: public T GetComponentInChildren<T>();
        public T GetComponentInChildren<T>() { throw Stub.Fail(); }
        // GameObject.GetComponentsInChildren: public T[] GetComponentsInChildren<T>(bool includeInactive = false);
        public T[] GetComponentsInChildren<T>(bool includeInactive = false) { throw Stub.Fail(); }
    }

    // https://docs.unity3d.com/2022.3/Documentation/ScriptReference/Transform.html
    public class Transform : Component, IEnumerable
    {
        public Vector3 position { get { throw Stub.Fail(); } set { throw Stub.Fail(); } }
        public Vector3 localPosition { get { throw Stub.Fail(); } set { throw Stub.Fail(); } }
        // Transform.SetParent: public void SetParent(Transform parent, bool worldPositionStays);
        public void SetParent(Transform parent, bool worldPositionStays) { throw Stub.Fail(); }
        public IEnumerator GetEnumerator() { throw Stub.Fail(); }
    }

    // https://docs.unity3d.com/2022.3/Documentation/ScriptReference/Vector3.html
    public struct Vector3
    {
        public float x;
        public float y;
        public float z;
        // Vector3 constructor: public Vector3(float x, float y, float z);
        public Vector3(float x, float y, float z) { throw Stub.Fail(); }
        // Vector3.Distance: public static float Distance(Vector3 a, Vector3 b);
        public static float Distance(Vector3 a, Vector3 b) { throw Stub.Fail(); }
    }

    // https://docs.unity3d.com/2022.3/Documentation/ScriptReference/Bounds.html
    public struct Bounds
    {
        public Vector3 size { get { throw Stub.Fail(); } set { throw Stub.Fail(); } }
        // Bounds.Encapsulate: public void Encapsulate(Bounds bounds);
        public void Encapsulate(Bounds bounds) { throw Stub.Fail(); }
    }

    // https://docs.unity3d.com/2022.3/Documentation/ScriptReference/Renderer.html
    public class Renderer : Component
    {
        // Renderer.bounds: public Bounds bounds;
        public Bounds bounds { get { throw Stub.Fail(); } set { throw Stub.Fail(); } }
    }

    // https://docs.unity3d.com/2022.3/Documentation/ScriptReference/MeshFilter.html
    public sealed class MeshFilter : Component
    {
        public Mesh sharedMesh { get { throw Stub.Fail(); } set { throw Stub.Fail(); } }
    }

    // https://docs.unity3d.com/2022.3/Documentation/ScriptReference/Mesh.html
    public sealed class Mesh : Object
    {
        // Mesh.vertexCount: public int vertexCount;
        public int vertexCount { get { throw Stub.Fail(); } }
    }

    // https://docs.unity3d.com/2022.3/Documentation/ScriptReference/LODGroup.html
    public class LODGroup : Component
    {
        // LODGroup.SetLODs: public void SetLODs(LOD[] lods);
        public void SetLODs(LOD[] lods) { throw Stub.Fail(); }
        // LODGroup.GetLODs: public LOD[] GetLODs();
        public LOD[] GetLODs() { throw Stub.Fail(); }
        // LODGroup.RecalculateBounds: public void RecalculateBounds();
        public void RecalculateBounds() { throw Stub.Fail(); }
    }

    // https://docs.unity3d.com/2022.3/Documentation/ScriptReference/LOD.html
    public struct LOD
    {
        public float screenRelativeTransitionHeight;
        public Renderer[] renderers;
        // LOD constructor: public LOD(float screenRelativeTransitionHeight, Renderer[] renderers);
        public LOD(float screenRelativeTransitionHeight, Renderer[] renderers) { throw Stub.Fail(); }
    }

    // https://docs.unity3d.com/2022.3/Documentation/ScriptReference/Camera.html
    public class Camera : Behaviour
    {
        // Camera.main: public static Camera main;
        public static Camera main { get { throw Stub.Fail(); } }
    }

    // https://docs.unity3d.com/2022.3/Documentation/ScriptReference/Debug.html
    public static class Debug
    {
        // Debug.Log: public static void Log(object message);
        public static void Log(object message) { throw Stub.Fail(); }
        // Debug.Log: public static void Log(object message, Object context);
        public static void Log(object message, Object context) { throw Stub.Fail(); }
        // Debug.LogWarning: public static void LogWarning(object message);
        public static void LogWarning(object message) { throw Stub.Fail(); }
        // Debug.LogError: public static void LogError(object message);
        public static void LogError(object message) { throw Stub.Fail(); }
        // Debug.LogError: public static void LogError(object message, Object context);
        public static void LogError(object message, Object context) { throw Stub.Fail(); }
    }

    // https://docs.unity3d.com/2022.3/Documentation/ScriptReference/Application.html
    public static class Application
    {
        // Application.persistentDataPath: public static string persistentDataPath;
        public static string persistentDataPath { get { throw Stub.Fail(); } }
        // Application.platform: public static RuntimePlatform platform;
        public static RuntimePlatform platform { get { throw Stub.Fail(); } }
    }

    // https://docs.unity3d.com/2022.3/Documentation/ScriptReference/RuntimePlatform.html
    // (only the members Kiln maps; numeric values omitted)
    public enum RuntimePlatform
    {
        IPhonePlayer,
        Android,
        WebGLPlayer,
        PS4,
        PS5,
        XboxOne,
        GameCoreXboxOne,
        GameCoreXboxSeries,
        Switch,
    }

    // https://docs.unity3d.com/2022.3/Documentation/ScriptReference/LogType.html
    public enum LogType
    {
        Error,
        Assert,
        Warning,
        Log,
        Exception,
    }

    // https://docs.unity3d.com/2022.3/Documentation/ScriptReference/Time-realtimeSinceStartupAsDouble.html
    public static class Time
    {
        // public static double realtimeSinceStartupAsDouble;
        public static double realtimeSinceStartupAsDouble { get { throw Stub.Fail(); } }
    }

    // https://docs.unity3d.com/2022.3/Documentation/ScriptReference/YieldInstruction.html
    public class YieldInstruction
    {
    }

    // https://docs.unity3d.com/2022.3/Documentation/ScriptReference/AsyncOperation.html
    public class AsyncOperation : YieldInstruction
    {
        // AsyncOperation.isDone: public bool isDone;
        public bool isDone { get { throw Stub.Fail(); } }
    }

    // https://docs.unity3d.com/2022.3/Documentation/ScriptReference/SerializeField.html
    [AttributeUsage(AttributeTargets.Field)]
    public sealed class SerializeField : Attribute
    {
    }

    // https://docs.unity3d.com/2022.3/Documentation/ScriptReference/TooltipAttribute.html
    [AttributeUsage(AttributeTargets.Field, Inherited = true, AllowMultiple = false)]
    public sealed class TooltipAttribute : Attribute
    {
        // public TooltipAttribute(string tooltip);
        public TooltipAttribute(string tooltip) { }
    }

    // https://docs.unity3d.com/2022.3/Documentation/ScriptReference/HeaderAttribute.html
    [AttributeUsage(AttributeTargets.Field, Inherited = true, AllowMultiple = true)]
    public class HeaderAttribute : Attribute
    {
        // public HeaderAttribute(string header);
        public HeaderAttribute(string header) { }
    }

    // https://docs.unity3d.com/2022.3/Documentation/ScriptReference/CreateAssetMenuAttribute.html
    [AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
    public sealed class CreateAssetMenuAttribute : Attribute
    {
        public string fileName { get; set; }
        public string menuName { get; set; }
        public int order { get; set; }
    }

    // https://docs.unity3d.com/2022.3/Documentation/ScriptReference/AddComponentMenu.html
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
    public sealed class AddComponentMenu : Attribute
    {
        // public AddComponentMenu(string menuName);
        public AddComponentMenu(string menuName) { }
    }

    // https://docs.unity3d.com/2022.3/Documentation/ScriptReference/DisallowMultipleComponent.html
    [AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
    public sealed class DisallowMultipleComponent : Attribute
    {
    }
}

namespace UnityEngine.Networking
{
    // https://docs.unity3d.com/2022.3/Documentation/ScriptReference/Networking.UnityWebRequest.html
    public class UnityWebRequest : IDisposable
    {
        // https://docs.unity3d.com/2022.3/Documentation/ScriptReference/Networking.UnityWebRequest.Result.html
        public enum Result
        {
            InProgress,
            Success,
            ConnectionError,
            ProtocolError,
            DataProcessingError,
        }

        // UnityWebRequest.Get: public static UnityWebRequest Get(string uri);
        public static UnityWebRequest Get(string uri) { throw Stub.Fail(); }
        // UnityWebRequest.SetRequestHeader: public void SetRequestHeader(string name, string value);
        public void SetRequestHeader(string name, string value) { throw Stub.Fail(); }
        // UnityWebRequest.SendWebRequest: public UnityWebRequestAsyncOperation SendWebRequest();
        public UnityWebRequestAsyncOperation SendWebRequest() { throw Stub.Fail(); }
        // UnityWebRequest.Abort: public void Abort();
        public void Abort() { throw Stub.Fail(); }
        // UnityWebRequest.Dispose: public void Dispose();
        public void Dispose() { throw Stub.Fail(); }
        // UnityWebRequest.GetResponseHeaders: public Dictionary<string,string> GetResponseHeaders();
        public Dictionary<string, string> GetResponseHeaders() { throw Stub.Fail(); }
        // UnityWebRequest.timeout: public int timeout; (seconds)
        public int timeout { get { throw Stub.Fail(); } set { throw Stub.Fail(); } }
        // UnityWebRequest.downloadProgress: public float downloadProgress;
        public float downloadProgress { get { throw Stub.Fail(); } }
        // UnityWebRequest.result: public Networking.UnityWebRequest.Result result;
        public Result result { get { throw Stub.Fail(); } }
        // UnityWebRequest.responseCode: public long responseCode;
        public long responseCode { get { throw Stub.Fail(); } }
        // UnityWebRequest.error: public string error;
        public string error { get { throw Stub.Fail(); } }
        // UnityWebRequest.downloadHandler: public Networking.DownloadHandler downloadHandler;
        public DownloadHandler downloadHandler { get { throw Stub.Fail(); } set { throw Stub.Fail(); } }
    }

    // https://docs.unity3d.com/2022.3/Documentation/ScriptReference/Networking.UnityWebRequestAsyncOperation.html
    public class UnityWebRequestAsyncOperation : AsyncOperation
    {
    }

    // https://docs.unity3d.com/2022.3/Documentation/ScriptReference/Networking.DownloadHandler.html
    public class DownloadHandler : IDisposable
    {
        // DownloadHandler.data: public byte[] data;
        public byte[] data { get { throw Stub.Fail(); } }
        public void Dispose() { throw Stub.Fail(); }
    }
}
