// P/Invoke mirror of the functions of crates/mglicense-ffi/include/mglicense.h that the module calls (see docs/abi.md); no logic lives here.
using System;
using System.Runtime.InteropServices;

namespace MgLicense.Native
{
    /// <summary>Status codes of the C ABI; the numbers are stable and never reused (docs/abi.md).</summary>
    internal enum MglStatus : uint
    {
        Ok = 0,
        Pending = 1,
        Busy = 2,
        Done = 3,
        NullArgument = 100,
        InvalidUtf8 = 101,
        InvalidJson = 102,
        InvalidArgument = 103,
        InvalidHandle = 104,
        NotConnected = 200,
        AuthenticationFailed = 201,
        GraphError = 300,
        TransportError = 400,
        Timeout = 401,
        Cancelled = 500,
        RuntimeUnavailable = 900,
        Panic = 999,
    }

    internal static unsafe partial class NativeMethods
    {
        /// <summary>The logical library name; <see cref="NativeLibraryResolver"/> maps it to the file in the module folder.</summary>
        internal const string LibraryName = "mglicense_ffi";

        /// <summary>MGL_ABI_VERSION of the header this module was built against.</summary>
        internal const uint ExpectedAbiVersion = 2;

        [DllImport(LibraryName, EntryPoint = "mgl_abi_version", ExactSpelling = true)]
        internal static extern uint mgl_abi_version();

        [DllImport(LibraryName, EntryPoint = "mgl_string_free", ExactSpelling = true)]
        internal static extern void mgl_string_free(IntPtr s);

        [DllImport(LibraryName, EntryPoint = "mgl_client_new", ExactSpelling = true)]
        internal static extern MglStatus mgl_client_new(byte* config_json, nuint config_len, out ulong out_client, out IntPtr out_json);

        [DllImport(LibraryName, EntryPoint = "mgl_client_disconnect", ExactSpelling = true)]
        internal static extern MglStatus mgl_client_disconnect(ulong client, out IntPtr out_json);

        [DllImport(LibraryName, EntryPoint = "mgl_client_context", ExactSpelling = true)]
        internal static extern MglStatus mgl_client_context(ulong client, out IntPtr out_json);

        [DllImport(LibraryName, EntryPoint = "mgl_client_environments", ExactSpelling = true)]
        internal static extern MglStatus mgl_client_environments(ulong client, out IntPtr out_json);

        [DllImport(LibraryName, EntryPoint = "mgl_client_add_environment", ExactSpelling = true)]
        internal static extern MglStatus mgl_client_add_environment(ulong client, byte* json, nuint len, out IntPtr out_json);

        [DllImport(LibraryName, EntryPoint = "mgl_request_start", ExactSpelling = true)]
        internal static extern MglStatus mgl_request_start(ulong client, byte* json, nuint len, out ulong out_request, out IntPtr out_json);

        [DllImport(LibraryName, EntryPoint = "mgl_request_wait", ExactSpelling = true)]
        internal static extern MglStatus mgl_request_wait(ulong request, uint timeout_ms, out IntPtr out_json);

        [DllImport(LibraryName, EntryPoint = "mgl_request_cancel", ExactSpelling = true)]
        internal static extern MglStatus mgl_request_cancel(ulong request);

        [DllImport(LibraryName, EntryPoint = "mgl_request_free", ExactSpelling = true)]
        internal static extern MglStatus mgl_request_free(ulong request);
    }
}
