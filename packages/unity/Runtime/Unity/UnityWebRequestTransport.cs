using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Kiln.Loader.Core;
using UnityEngine;
using UnityEngine.Networking;

namespace Kiln.Loader
{
    /// <summary>
    /// <see cref="ITransport"/> on <c>UnityWebRequest</c>: headers, a timeout, progress polled every
    /// frame, cancellation (the request is aborted on the main thread), and failures returned as
    /// values for the retry policy. Runs on the main thread, so it works on WebGL.
    /// </summary>
    public sealed class UnityWebRequestTransport : ITransport
    {
        readonly Action<UnityWebRequest> _configure;

        /// <summary>
        /// Creates the transport. <paramref name="configureRequest"/> sees every request before it is
        /// sent (like Addressables' <c>WebRequestOverride</c>): add headers, a certificate handler…
        /// </summary>
        public UnityWebRequestTransport(Action<UnityWebRequest> configureRequest = null)
        {
            _configure = configureRequest;
        }

        /// <inheritdoc />
        public async Task<TransportResponse> GetAsync(TransportRequest request, CancellationToken cancellationToken)
        {
            if (request == null) throw new ArgumentNullException("request");
            cancellationToken.ThrowIfCancellationRequested();
            using (var web = UnityWebRequest.Get(request.Url))
            {
                if (request.Headers != null)
                {
                    foreach (var header in request.Headers) web.SetRequestHeader(header.Key, header.Value);
                }
                if (request.Timeout > TimeSpan.Zero) web.timeout = (int)Math.Ceiling(request.Timeout.TotalSeconds);
                if (_configure != null) _configure(web);

                var operation = web.SendWebRequest();
                while (!operation.isDone)
                {
                    if (cancellationToken.IsCancellationRequested)
                    {
                        web.Abort();
                        throw new OperationCanceledException(cancellationToken);
                    }
                    if (request.Progress != null) request.Progress.Report(web.downloadProgress);
                    await Task.Yield(); // resumes on Unity's synchronization context, next frame
                }
                cancellationToken.ThrowIfCancellationRequested();

                var headers = web.GetResponseHeaders() ?? new Dictionary<string, string>();
                switch (web.result)
                {
                    case UnityWebRequest.Result.Success:
                        // file:// and jar:// answers have no HTTP status.
                        return new TransportResponse
                        {
                            Status = web.responseCode == 0 ? 200 : (int)web.responseCode,
                            Body = web.downloadHandler.data,
                            Headers = headers,
                        };
                    case UnityWebRequest.Result.ProtocolError:
                        return new TransportResponse { Status = (int)web.responseCode, Headers = headers, Error = web.error };
                    default:
                        // ConnectionError (DNS, refused, TLS, timeout) or DataProcessingError.
                        var error = web.error ?? web.result.ToString();
                        return new TransportResponse
                        {
                            Status = 0,
                            Error = error,
                            TimedOut = error.IndexOf("timeout", StringComparison.OrdinalIgnoreCase) >= 0
                                || error.IndexOf("timed out", StringComparison.OrdinalIgnoreCase) >= 0,
                        };
                }
            }
        }
    }

    /// <summary>
    /// <see cref="IDelay"/> that waits frame by frame on the main thread (<c>Task.Delay</c> needs a
    /// timer thread, which WebGL does not have).
    /// </summary>
    public sealed class UnityFrameDelay : IDelay
    {
        /// <summary>The shared instance.</summary>
        public static readonly UnityFrameDelay Instance = new UnityFrameDelay();

        /// <inheritdoc />
        public async Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
        {
            var until = Time.realtimeSinceStartupAsDouble + delay.TotalSeconds;
            while (Time.realtimeSinceStartupAsDouble < until)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await Task.Yield();
            }
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary><see cref="IKilnLogger"/> on <c>Debug.Log</c>, with a <c>Kiln:</c> prefix and a minimum level.</summary>
    public sealed class UnityKilnLogger : IKilnLogger
    {
        /// <summary>Creates the logger.</summary>
        public UnityKilnLogger(KilnLogLevel minimumLevel = KilnLogLevel.Warning)
        {
            MinimumLevel = minimumLevel;
        }

        /// <summary>Messages below this level are dropped.</summary>
        public KilnLogLevel MinimumLevel { get; private set; }

        /// <inheritdoc />
        public void Log(KilnLogLevel level, string message)
        {
            if (level < MinimumLevel) return;
            var text = "Kiln: " + message;
            switch (level)
            {
                case KilnLogLevel.Error:
                    Debug.LogError(text);
                    break;
                case KilnLogLevel.Warning:
                    Debug.LogWarning(text);
                    break;
                default:
                    Debug.Log(text);
                    break;
            }
        }
    }
}
