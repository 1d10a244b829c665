// A raw Graph call (Invoke-MgGraphRequest) seen from the pipeline thread: started with its body bytes, polled so Ctrl+C reaches
// the engine, its answer's document and body taken once.
using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace MgLicense.Native
{
    internal sealed unsafe partial class EngineClient
    {
        /// <summary>
        /// Runs one raw call (docs/abi.md, "Raw calls"): <paramref name="body"/> is sent as given (null: no body). Returns the
        /// answer's document, a refused answer included, and its body; the error that left no answer is thrown.
        /// <paramref name="whilePending"/> gets the engine's progress document at each poll that finds the call still running.
        /// </summary>
        internal JsonElement SendRaw(byte[] document, byte[]? body, CancellationToken cancellation, out byte[] answerBody,
            Action<JsonElement>? whilePending = null)
        {
            MglStatus status;
            ulong raw;
            IntPtr outJson;
            fixed (byte* p = document)
            fixed (byte* b = body)
            {
                // An empty array pins as NULL: hand over a pointer that is not, so an empty body is still a body.
                byte empty = 0;
                byte* given = body is null ? null : body.Length == 0 ? &empty : b;
                status = NativeMethods.mgl_raw_start(handle, p, (nuint)document.Length, given, (nuint)(body?.Length ?? 0), out raw, out outJson);
            }

            string? started = TakeString(outJson);
            if (status != MglStatus.Ok)
            {
                throw EngineException.From(status, started);
            }

            try
            {
                using CancellationTokenRegistration registration = cancellation.Register(
                    static state => NativeMethods.mgl_raw_cancel((ulong)state!), raw);
                while (true)
                {
                    status = NativeMethods.mgl_raw_wait(raw, PollMilliseconds, out outJson);
                    if (status != MglStatus.Pending)
                    {
                        break;
                    }

                    if (whilePending is null || cancellation.IsCancellationRequested)
                    {
                        TakeString(outJson);
                    }
                    else
                    {
                        whilePending(TakeJson(outJson));
                    }
                }

                JsonElement answer = Complete(status, outJson);
                MglBytes bytes;
                status = NativeMethods.mgl_raw_body(raw, &bytes, out outJson);
                string? failed = TakeString(outJson);
                if (status != MglStatus.Ok)
                {
                    throw EngineException.From(status, failed);
                }

                answerBody = new byte[checked((int)bytes.len)];
                if (answerBody.Length > 0)
                {
                    Marshal.Copy((IntPtr)bytes.ptr, answerBody, 0, answerBody.Length);
                }

                return answer;
            }
            finally
            {
                NativeMethods.mgl_raw_free(raw);
            }
        }
    }
}
