// The client's side of bulk runs and of the request context: starting a run and reading or changing retry settings.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace MgLicense.Native
{
    internal sealed unsafe partial class EngineClient
    {
        /// <summary>Starts a bulk run on this client (docs/abi.md, "Bulk runs").</summary>
        /// <param name="batchSize">Most calls in one JSON batch; 1 or null sends each call on its own.</param>
        internal EngineBulk StartBulk(int? throttleLimit, int? maxOutstanding = null, int? batchSize = null)
        {
            byte[] options = Json.ToUtf8(new Dictionary<string, int?>
            {
                ["throttleLimit"] = throttleLimit,
                ["maxOutstanding"] = maxOutstanding,
                ["batchSize"] = batchSize,
            }.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value));
            MglStatus status;
            ulong bulk;
            IntPtr outJson;
            fixed (byte* p = options)
            {
                status = NativeMethods.mgl_bulk_start(handle, p, (nuint)options.Length, out bulk, out outJson);
            }

            string? detail = TakeString(outJson);
            if (status != MglStatus.Ok)
            {
                throw EngineException.From(status, detail);
            }

            return new EngineBulk(bulk);
        }

        /// <summary>Retry and timeout settings (Get-MgRequestContext).</summary>
        internal JsonElement RequestContext()
        {
            MglStatus status = NativeMethods.mgl_client_request_context(handle, out IntPtr outJson);
            return Complete(status, outJson);
        }

        /// <summary>Changes the settings named in <paramref name="json"/> (Set-MgRequestContext) and returns them all.</summary>
        internal JsonElement SetRequestContext(string json)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(json);
            MglStatus status;
            IntPtr outJson;
            fixed (byte* p = bytes)
            {
                status = NativeMethods.mgl_client_set_request_context(handle, p, (nuint)bytes.Length, out outJson);
            }

            return Complete(status, outJson);
        }
    }
}
