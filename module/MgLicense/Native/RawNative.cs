// P/Invoke mirror of the header's raw call functions (docs/abi.md, "Raw calls"); no logic lives here.
using System;
using System.Runtime.InteropServices;

namespace MgLicense.Native
{
    internal static unsafe partial class NativeMethods
    {
        [DllImport(LibraryName, EntryPoint = "mgl_raw_start", ExactSpelling = true)]
        internal static extern MglStatus mgl_raw_start(ulong client, byte* json, nuint len, byte* body, nuint body_len, out ulong out_raw, out IntPtr out_json);

        [DllImport(LibraryName, EntryPoint = "mgl_raw_wait", ExactSpelling = true)]
        internal static extern MglStatus mgl_raw_wait(ulong raw, uint timeout_ms, out IntPtr out_json);

        [DllImport(LibraryName, EntryPoint = "mgl_raw_body", ExactSpelling = true)]
        internal static extern MglStatus mgl_raw_body(ulong raw, MglBytes* out_body, out IntPtr out_json);

        [DllImport(LibraryName, EntryPoint = "mgl_raw_cancel", ExactSpelling = true)]
        internal static extern MglStatus mgl_raw_cancel(ulong raw);

        [DllImport(LibraryName, EntryPoint = "mgl_raw_free", ExactSpelling = true)]
        internal static extern MglStatus mgl_raw_free(ulong raw);
    }
}
