// P/Invoke mirror of the header's bulk-run and request-context functions (docs/abi.md, "Bulk runs"); no logic lives here.
using System;
using System.Runtime.InteropServices;

namespace MgLicense.Native
{
    internal static unsafe partial class NativeMethods
    {
        [DllImport(LibraryName, EntryPoint = "mgl_client_request_context", ExactSpelling = true)]
        internal static extern MglStatus mgl_client_request_context(ulong client, out IntPtr out_json);

        [DllImport(LibraryName, EntryPoint = "mgl_client_set_request_context", ExactSpelling = true)]
        internal static extern MglStatus mgl_client_set_request_context(ulong client, byte* json, nuint len, out IntPtr out_json);

        [DllImport(LibraryName, EntryPoint = "mgl_bulk_start", ExactSpelling = true)]
        internal static extern MglStatus mgl_bulk_start(ulong client, byte* json, nuint len, out ulong out_bulk, out IntPtr out_json);

        [DllImport(LibraryName, EntryPoint = "mgl_bulk_submit", ExactSpelling = true)]
        internal static extern MglStatus mgl_bulk_submit(ulong bulk, byte* json, nuint len, out ulong out_index, out IntPtr out_json);

        [DllImport(LibraryName, EntryPoint = "mgl_bulk_finish_input", ExactSpelling = true)]
        internal static extern MglStatus mgl_bulk_finish_input(ulong bulk);

        [DllImport(LibraryName, EntryPoint = "mgl_bulk_next", ExactSpelling = true)]
        internal static extern MglStatus mgl_bulk_next(ulong bulk, uint timeout_ms, out ulong out_index, out IntPtr out_json);

        [DllImport(LibraryName, EntryPoint = "mgl_bulk_progress", ExactSpelling = true)]
        internal static extern MglStatus mgl_bulk_progress(ulong bulk, out IntPtr out_json);

        [DllImport(LibraryName, EntryPoint = "mgl_bulk_cancel", ExactSpelling = true)]
        internal static extern MglStatus mgl_bulk_cancel(ulong bulk);

        [DllImport(LibraryName, EntryPoint = "mgl_bulk_free", ExactSpelling = true)]
        internal static extern MglStatus mgl_bulk_free(ulong bulk);
    }
}
