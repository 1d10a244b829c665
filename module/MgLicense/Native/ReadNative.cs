// P/Invoke mirror of the header's read functions (docs/abi.md, "Reads"); no logic lives here.
using System;
using System.Runtime.InteropServices;

namespace MgLicense.Native
{
    internal static unsafe partial class NativeMethods
    {
        [DllImport(LibraryName, EntryPoint = "mgl_read_start", ExactSpelling = true)]
        internal static extern MglStatus mgl_read_start(ulong client, byte* json, nuint len, out ulong out_read, out IntPtr out_json);

        [DllImport(LibraryName, EntryPoint = "mgl_read_next", ExactSpelling = true)]
        internal static extern MglStatus mgl_read_next(ulong read, uint timeout_ms, out IntPtr out_json);

        [DllImport(LibraryName, EntryPoint = "mgl_read_cancel", ExactSpelling = true)]
        internal static extern MglStatus mgl_read_cancel(ulong read);

        [DllImport(LibraryName, EntryPoint = "mgl_read_free", ExactSpelling = true)]
        internal static extern MglStatus mgl_read_free(ulong read);
    }
}
