// P/Invoke mirror of the sign-in part of crates/mglicense-ffi/include/mglicense.h, and the engine client's sign-in calls.
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Security;
using System.Security.Cryptography;
using System.Text;
using System.Threading;

namespace MgLicense.Native
{
    internal static unsafe partial class NativeMethods
    {
        [DllImport(LibraryName, EntryPoint = "mgl_client_remove_environment", ExactSpelling = true)]
        internal static extern MglStatus mgl_client_remove_environment(ulong client, byte* json, nuint len, out IntPtr out_json);

        [DllImport(LibraryName, EntryPoint = "mgl_signin_start", ExactSpelling = true)]
        internal static extern MglStatus mgl_signin_start(ulong client, byte* json, nuint len, MglBytes* secrets, nuint secret_count, out ulong out_signin, out IntPtr out_json);

        [DllImport(LibraryName, EntryPoint = "mgl_signin_wait", ExactSpelling = true)]
        internal static extern MglStatus mgl_signin_wait(ulong signin, uint timeout_ms, out IntPtr out_json);

        [DllImport(LibraryName, EntryPoint = "mgl_signin_cancel", ExactSpelling = true)]
        internal static extern MglStatus mgl_signin_cancel(ulong signin);

        [DllImport(LibraryName, EntryPoint = "mgl_signin_free", ExactSpelling = true)]
        internal static extern MglStatus mgl_signin_free(ulong signin);
    }

    /// <summary>One buffer of <c>MglBytes</c> (mglicense.h): a secret handed to the engine beside its document.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct MglBytes
    {
        internal byte* ptr;
        internal nuint len;
    }

    /// <summary>
    /// A secret for the sign-in document: its text (a SecureString or a char buffer, sent as UTF-8) or its bytes (a private
    /// key's DER). The document names it as <c>{"secret": i}</c> (<see cref="Reference"/>); the bytes never enter a JSON text.
    /// </summary>
    internal sealed class SecretField
    {
        internal SecretField(SecureString? secure, char[]? chars, byte[]? bytes = null)
        {
            Secure = secure;
            Chars = chars;
            Bytes = bytes;
        }

        internal SecureString? Secure { get; }

        internal char[]? Chars { get; }

        internal byte[]? Bytes { get; }

        /// <summary>Adds <paramref name="secret"/> to <paramref name="secrets"/> and returns the document's reference to it.</summary>
        internal static Dictionary<string, object?> Reference(List<SecretField> secrets, SecretField secret)
        {
            secrets.Add(secret);
            return new Dictionary<string, object?> { ["secret"] = secrets.Count - 1 };
        }
    }

    internal sealed unsafe partial class EngineClient
    {
        internal JsonElement RemoveEnvironment(string name)
        {
            byte[] bytes = Json.ToUtf8(new Dictionary<string, object?> { ["name"] = name });
            MglStatus status;
            IntPtr outJson;
            fixed (byte* p = bytes)
            {
                status = NativeMethods.mgl_client_remove_environment(handle, p, (nuint)bytes.Length, out outJson);
            }

            return Complete(status, outJson);
        }

        /// <summary>
        /// Runs a sign-in (docs/abi.md "Sign-in"): <paramref name="document"/> names each secret as <c>{"secret": i}</c>, the
        /// i-th of <paramref name="secrets"/>, whose UTF-8 bytes go to the engine as their own pinned buffers and are zeroed
        /// once it has copied them. Events go to <paramref name="onEvent"/> on this thread.
        /// </summary>
        internal JsonElement SignIn(byte[] document, IList<SecretField> secrets, Action<JsonElement> onEvent, CancellationToken cancellation)
        {
            var buffers = new byte[secrets.Count][];
            var pins = new GCHandle[secrets.Count];
            try
            {
                MglBytes[] given = new MglBytes[secrets.Count];
                for (int i = 0; i < secrets.Count; i++)
                {
                    // Pinned before it is filled, so the collector never leaves a copy of a secret behind.
                    buffers[i] = new byte[ByteCount(secrets[i])];
                    pins[i] = GCHandle.Alloc(buffers[i], GCHandleType.Pinned);
                    given[i].ptr = (byte*)pins[i].AddrOfPinnedObject();
                    given[i].len = (nuint)buffers[i].Length;
                    Fill(secrets[i], given[i].ptr, buffers[i].Length);
                }

                MglStatus status;
                ulong signin;
                IntPtr outJson;
                fixed (byte* p = document)
                fixed (MglBytes* g = given)
                {
                    status = NativeMethods.mgl_signin_start(handle, p, (nuint)document.Length, g, (nuint)given.Length, out signin, out outJson);
                }

                // The engine has its own copies: ours are wiped before the sign-in goes on.
                Wipe(buffers, pins);
                string? started = TakeString(outJson);
                if (status != MglStatus.Ok)
                {
                    throw EngineException.From(status, started);
                }

                try
                {
                    using CancellationTokenRegistration registration = cancellation.Register(
                        static state => NativeMethods.mgl_signin_cancel((ulong)state!), signin);
                    while (true)
                    {
                        status = NativeMethods.mgl_signin_wait(signin, PollMilliseconds, out outJson);
                        string? text = TakeString(outJson);
                        JsonElement? answer = string.IsNullOrEmpty(text) ? null : Json.Parse(text!);
                        if (answer is { ValueKind: JsonValueKind.Object } d && d.TryGetProperty("events", out JsonElement events)
                            && events.ValueKind == JsonValueKind.Array)
                        {
                            foreach (JsonElement e in events.EnumerateArray())
                            {
                                onEvent(e);
                            }
                        }

                        if (status == MglStatus.Pending)
                        {
                            continue;
                        }

                        if (status != MglStatus.Ok)
                        {
                            throw EngineException.From(status, text);
                        }

                        return answer is { ValueKind: JsonValueKind.Object } done && done.TryGetProperty("context", out JsonElement context)
                            ? context
                            : Json.Parse("null");
                    }
                }
                finally
                {
                    NativeMethods.mgl_signin_free(signin);
                }
            }
            finally
            {
                Wipe(buffers, pins);
            }
        }

        private static void Wipe(byte[][] buffers, GCHandle[] pins)
        {
            for (int i = 0; i < buffers.Length; i++)
            {
                if (buffers[i] is not null)
                {
                    Array.Clear(buffers[i], 0, buffers[i].Length);
                }

                if (pins[i].IsAllocated)
                {
                    pins[i].Free();
                }
            }
        }

        /// <summary>How many bytes a secret takes: its bytes, or its text as UTF-8.</summary>
        private static int ByteCount(SecretField secret) => Convert(secret, null, 0);

        private static void Fill(SecretField secret, byte* destination, int length) => Convert(secret, destination, length);

        /// <summary>Counts (<paramref name="destination"/> null) or writes a secret's bytes, its text read in place.</summary>
        private static int Convert(SecretField secret, byte* destination, int length)
        {
            if (secret.Bytes is not null)
            {
                if (destination is not null)
                {
                    Marshal.Copy(secret.Bytes, 0, (IntPtr)destination, length);
                }

                return secret.Bytes.Length;
            }

            if (secret.Secure is not null)
            {
                IntPtr unicode = Marshal.SecureStringToGlobalAllocUnicode(secret.Secure);
                try
                {
                    return Encode((char*)unicode, secret.Secure.Length, destination, length);
                }
                finally
                {
                    Marshal.ZeroFreeGlobalAllocUnicode(unicode);
                }
            }

            char[] chars = secret.Chars ?? new char[0];
            fixed (char* c = chars)
            {
                return Encode(c, chars.Length, destination, length);
            }
        }

        private static int Encode(char* chars, int count, byte* destination, int length)
        {
            if (count == 0)
            {
                return 0;
            }

            return destination is null ? Encoding.UTF8.GetByteCount(chars, count) : Encoding.UTF8.GetBytes(chars, count, destination, length);
        }
    }
}
