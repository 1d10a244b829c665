// The one process-wide engine client (the connection is process-wide, like the official SDK's ContextScope Process) and the marshalling around each call.
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Security;
using System.Security.Cryptography;
using System.Text;
using System.Threading;

namespace MgLicense.Native
{
    internal sealed unsafe partial class EngineClient
    {
        /// <summary>
        /// How long one wait for the engine lasts before the pipeline thread looks again (Ctrl+C, progress): short enough that
        /// Ctrl+C feels immediate, long enough not to spin. Every poll loop of the module uses it.
        /// </summary>
        internal const uint PollMilliseconds = 200;

        private static readonly object Gate = new object();
        private static volatile EngineClient? shared;

        /// <summary>The process-wide client once created, else null: a cmdlet call need not build a user agent to find it.</summary>
        internal static EngineClient? Existing => shared;

        // Never released: it lives as long as the process, and tearing the engine down at unload is what hangs exits.
        private readonly ulong handle;

        private EngineClient(ulong handle, JsonElement info)
        {
            this.handle = handle;
            IdentityKeys = Json.Strings(info, "identityKeys");
            var operations = new Dictionary<string, EngineOperation>(StringComparer.Ordinal);
            if (info.ValueKind == JsonValueKind.Object && info.TryGetProperty("operations", out JsonElement table)
                && table.ValueKind == JsonValueKind.Object)
            {
                foreach (JsonProperty operation in table.EnumerateObject())
                {
                    operations[operation.Name] = new EngineOperation(
                        Json.Text(operation.Value, "method") ?? "", Json.Text(operation.Value, "path") ?? "", Json.Text(operation.Value, "mePath"));
                }
            }

            Operations = operations;
        }

        /// <summary>The keys of an identity object the engine reads (docs/abi.md, mgl_client_new): the only ones handed over.</summary>
        internal IReadOnlyList<string> IdentityKeys { get; }

        /// <summary>Each operation's method and documented paths, by the name a request gives (docs/abi.md, mgl_client_new).</summary>
        internal IReadOnlyDictionary<string, EngineOperation> Operations { get; }

        /// <summary>The process's client, created on first use with the user agent of whoever asked first.</summary>
        internal static EngineClient GetShared(string userAgent)
        {
            lock (Gate)
            {
                if (shared is null)
                {
                    EnsureLibrary();
                    byte[] bytes = Json.ToUtf8(new Dictionary<string, object?> { ["userAgent"] = userAgent, ["settingsDirectory"] = SettingsDirectory() });
                    MglStatus status;
                    ulong client;
                    IntPtr outJson;
                    fixed (byte* p = bytes)
                    {
                        status = NativeMethods.mgl_client_new(p, (nuint)bytes.Length, out client, out outJson);
                    }

                    string? text = TakeString(outJson);
                    if (status != MglStatus.Ok)
                    {
                        throw EngineException.From(status, text);
                    }

                    shared = new EngineClient(client, text is null ? Json.Null : Json.Parse(text));
                }

                return shared;
            }
        }

        /// <summary>
        /// Where the engine keeps what outlives a session (environments, the CurrentUser token cache): MGLICENSE_SETTINGS_DIRECTORY
        /// when set, else .mglicense in the user's profile (as the official module keeps .mg there); null when there is no profile.
        /// </summary>
        private static string? SettingsDirectory()
        {
            string? chosen = System.Environment.GetEnvironmentVariable("MGLICENSE_SETTINGS_DIRECTORY");
            if (!string.IsNullOrWhiteSpace(chosen))
            {
                return chosen!.Trim();
            }

            string profile = System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile);
            return string.IsNullOrEmpty(profile) ? null : System.IO.Path.Combine(profile, ".mglicense");
        }

        /// <summary>Loads the library and refuses one built for another ABI, before any other entry point is touched.</summary>
        private static void EnsureLibrary()
        {
            NativeLibraryResolver.EnsureInstalled();
            uint version;
            try
            {
                version = NativeMethods.mgl_abi_version();
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
            {
                throw new EngineUnavailableException(
                    $"MgLicense could not load its native engine '{NativeLibraryResolver.LibraryPath ?? NativeMethods.LibraryName}' "
                    + $"for {NativeLibraryResolver.RuntimeIdentifier ?? RuntimeInformation.OSDescription + " " + RuntimeInformation.ProcessArchitecture}: "
                    + (NativeLibraryResolver.PreloadError is string why ? why + " " : string.Empty) + e.Message,
                    e);
            }

            if (version != NativeMethods.ExpectedAbiVersion)
            {
                throw new EngineUnavailableException(
                    $"MgLicense was built for native engine ABI version {NativeMethods.ExpectedAbiVersion}, but "
                    + $"'{NativeLibraryResolver.LibraryPath ?? NativeMethods.LibraryName}' reports version {version}. "
                    + "Reinstall the module so that its assembly and its native library come from the same build.");
            }
        }

        internal JsonElement Context()
        {
            MglStatus status = NativeMethods.mgl_client_context(handle, out IntPtr outJson);
            return Complete(status, outJson);
        }

        internal JsonElement Disconnect()
        {
            MglStatus status = NativeMethods.mgl_client_disconnect(handle, out IntPtr outJson);
            return Complete(status, outJson);
        }

        internal JsonElement Environments()
        {
            MglStatus status = NativeMethods.mgl_client_environments(handle, out IntPtr outJson);
            return Complete(status, outJson);
        }

        internal JsonElement AddEnvironment(string json)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(json);
            MglStatus status;
            IntPtr outJson;
            fixed (byte* p = bytes)
            {
                status = NativeMethods.mgl_client_add_environment(handle, p, (nuint)bytes.Length, out outJson);
            }

            return Complete(status, outJson);
        }

        /// <summary>
        /// Runs one Graph request (UTF-8 JSON, docs/abi.md "Request"), polling on the calling (pipeline) thread so that a cancellation from another
        /// thread (StopProcessing) reaches the engine while this thread keeps ownership of the handle.
        /// </summary>
        /// <param name="whilePending">Called on the calling thread at each poll that finds the request still running, with the engine's
        /// progress document (docs/abi.md, "mgl_request_wait"): elapsed time, retries, a throttle's remaining wait.</param>
        internal JsonElement Send(byte[] requestJson, CancellationToken cancellation, Action<JsonElement>? whilePending = null)
        {
            byte[] bytes = requestJson;
            MglStatus status;
            ulong request;
            IntPtr outJson;
            fixed (byte* p = bytes)
            {
                status = NativeMethods.mgl_request_start(handle, p, (nuint)bytes.Length, out request, out outJson);
            }

            string? started = TakeString(outJson);
            if (status != MglStatus.Ok)
            {
                throw EngineException.From(status, started);
            }

            try
            {
                // A cancel that races the free below is harmless: handles are never reused, so it reports INVALID_HANDLE.
                using CancellationTokenRegistration registration = cancellation.Register(
                    static state => NativeMethods.mgl_request_cancel((ulong)state!), request);
                while (true)
                {
                    status = NativeMethods.mgl_request_wait(request, PollMilliseconds, out outJson);
                    if (status != MglStatus.Pending)
                    {
                        return Complete(status, outJson);
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
            }
            finally
            {
                NativeMethods.mgl_request_free(request);
            }
        }

        private static JsonElement Complete(MglStatus status, IntPtr outJson)
        {
            if (status != MglStatus.Ok)
            {
                throw EngineException.From(status, TakeString(outJson));
            }

            return TakeJson(outJson);
        }

        /// <summary>Copies a library-owned string and gives it back to the library, which alone may free it.</summary>
        internal static string? TakeString(IntPtr value)
        {
            if (value == IntPtr.Zero)
            {
                return null;
            }

            try
            {
                return Encoding.UTF8.GetString(CopyBytes(value));
            }
            finally
            {
                NativeMethods.mgl_string_free(value);
            }
        }

        /// <summary>
        /// Parses and frees an engine document straight from its UTF-8 bytes (no detour through a UTF-16 string, which costs
        /// two transcodings of every result); JSON null when the engine gave none. A document that cannot be read is an
        /// <see cref="EngineException"/> for the call it answers.
        /// </summary>
        internal static JsonElement TakeJson(IntPtr value)
        {
            if (value == IntPtr.Zero)
            {
                return Json.Null;
            }

            try
            {
                byte[] bytes = CopyBytes(value);
                return bytes.Length == 0 ? Json.Null : Json.Parse(bytes);
            }
            catch (JsonException e)
            {
                throw EngineException.Unreadable(e);
            }
            finally
            {
                NativeMethods.mgl_string_free(value);
            }
        }

        /// <summary>
        /// As <see cref="TakeJson"/>, for a read's page, whose items are read one by one as they are written. With a
        /// <paramref name="buffer"/>, the page is copied into it (grown when it is too small) instead of a new array: the
        /// caller has read every item of the page before it takes the next. A page of a few hundred users is larger than
        /// .NET's large object threshold (85,000 bytes), and an array per page would then be one for the large object heap,
        /// which only a full collection frees.
        /// </summary>
        internal static JsonPage TakePage(IntPtr value, ref byte[]? buffer)
        {
            try
            {
                if (value == IntPtr.Zero)
                {
                    return Json.ParsePage(new byte[0]);
                }

                int length = Length(value);
                if (buffer is null || buffer.Length < length)
                {
                    buffer = new byte[Math.Max(length, buffer is null ? 0 : buffer.Length * 2)];
                }

                Marshal.Copy(value, buffer, 0, length);
                return Json.ParsePage(buffer, length);
            }
            catch (JsonException e)
            {
                throw EngineException.Unreadable(e);
            }
            finally
            {
                if (value != IntPtr.Zero)
                {
                    NativeMethods.mgl_string_free(value);
                }
            }
        }

        /// <summary>The length of a NUL-terminated string the library returned, without the NUL.</summary>
        private static int Length(IntPtr value)
        {
            byte* start = (byte*)value;
            int length = 0;
            while (start[length] != 0)
            {
                length++;
            }

            return length;
        }

        /// <summary>The bytes of a NUL-terminated string the library returned, without the NUL.</summary>
        private static byte[] CopyBytes(IntPtr value)
        {
            int length = Length(value);
            byte[] bytes = new byte[length];
            Marshal.Copy(value, bytes, 0, length);
            return bytes;
        }
    }

    /// <summary>The native library is missing, unloadable, or from another build: nothing the module does can work.</summary>
    public sealed class EngineUnavailableException : Exception
    {
        public EngineUnavailableException(string message, Exception? inner = null)
            : base(message, inner)
        {
        }
    }

    /// <summary>An operation as the engine names it for a front end (mgl_client_new's <c>operations</c>): what the -WhatIf line shows.</summary>
    internal sealed class EngineOperation
    {
        internal EngineOperation(string method, string path, string? mePath)
        {
            Method = method;
            Path = path;
            MePath = mePath;
        }

        internal string Method { get; }

        /// <summary>The path for a user as Graph documents it, e.g. /users/{user-id}/reprocessLicenseAssignment.</summary>
        internal string Path { get; }

        /// <summary>The path for the signed-in user, for an operation with a /me form; else null.</summary>
        internal string? MePath { get; }
    }
}
