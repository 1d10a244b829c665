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
        internal static extern MglStatus mgl_signin_start(ulong client, byte* json, nuint len, out ulong out_signin, out IntPtr out_json);

        [DllImport(LibraryName, EntryPoint = "mgl_signin_wait", ExactSpelling = true)]
        internal static extern MglStatus mgl_signin_wait(ulong signin, uint timeout_ms, out IntPtr out_json);

        [DllImport(LibraryName, EntryPoint = "mgl_signin_cancel", ExactSpelling = true)]
        internal static extern MglStatus mgl_signin_cancel(ulong signin);

        [DllImport(LibraryName, EntryPoint = "mgl_signin_free", ExactSpelling = true)]
        internal static extern MglStatus mgl_signin_free(ulong signin);
    }

    /// <summary>A secret to place in the sign-in document without ever making it a managed string.</summary>
    internal sealed class SecretField
    {
        internal SecretField(string name, SecureString? secure, char[]? chars)
        {
            Name = name;
            Secure = secure;
            Chars = chars;
        }

        internal string Name { get; }

        internal SecureString? Secure { get; }

        internal char[]? Chars { get; }
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
        /// Runs a sign-in (docs/abi.md "Sign-in"): <paramref name="head"/> is the JSON object without its closing
        /// brace; the secrets are appended as string members straight from their SecureString or char buffer, and
        /// every copy is zeroed once the engine has them. Events go to <paramref name="onEvent"/> on this thread.
        /// </summary>
        internal JsonElement SignIn(string head, SecretField[] secrets, Action<JsonElement> onEvent, CancellationToken cancellation, string closing = "}")
        {
            var buffers = new System.Collections.Generic.List<char[]>();
            var pointers = new System.Collections.Generic.List<IntPtr>();
            char[]? chars = null;
            byte[]? bytes = null;
            try
            {
                var parts = new System.Collections.Generic.List<(string prefix, char[]? value, int length)>();
                int total = head.Length + closing.Length;
                foreach (SecretField secret in secrets)
                {
                    char[] value;
                    if (secret.Secure is not null)
                    {
                        IntPtr unicode = Marshal.SecureStringToGlobalAllocUnicode(secret.Secure);
                        pointers.Add(unicode);
                        value = new ReadOnlySpan<char>((void*)unicode, secret.Secure.Length).ToArray();
                        buffers.Add(value);
                    }
                    else
                    {
                        value = secret.Chars ?? Array.Empty<char>();
                    }

                    string prefix = "," + Json.ToText(secret.Name) + ":\"";
                    parts.Add((prefix, value, EscapedLength(value)));
                    total += prefix.Length + EscapedLength(value) + 1;
                }

                chars = new char[total];
                int at = 0;
                head.AsSpan().CopyTo(chars.AsSpan(at));
                at += head.Length;
                foreach ((string prefix, char[]? value, int _) in parts)
                {
                    // The first member of an object just opened takes no comma.
                    string member = chars[at - 1] == '{' ? prefix.Substring(1) : prefix;
                    member.AsSpan().CopyTo(chars.AsSpan(at));
                    at += member.Length;
                    at += Escape(value, chars.AsSpan(at));
                    chars[at++] = '"';
                }

                closing.AsSpan().CopyTo(chars.AsSpan(at));
                at += closing.Length;
                bytes = new byte[Encoding.UTF8.GetByteCount(chars, 0, at)];
                Encoding.UTF8.GetBytes(chars, 0, at, bytes, 0);

                MglStatus status;
                ulong signin;
                IntPtr outJson;
                fixed (byte* p = bytes)
                {
                    status = NativeMethods.mgl_signin_start(handle, p, (nuint)bytes.Length, out signin, out outJson);
                }

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
                        JsonElement? document = string.IsNullOrEmpty(text) ? null : Json.Parse(text!);
                        if (document is { ValueKind: JsonValueKind.Object } d && d.TryGetProperty("events", out JsonElement events)
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

                        return document is { ValueKind: JsonValueKind.Object } done && done.TryGetProperty("context", out JsonElement context)
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
                if (bytes is not null)
                {
                    CryptographicOperations.ZeroMemory(bytes);
                }

                if (chars is not null)
                {
                    Array.Clear(chars);
                }

                foreach (char[] b in buffers)
                {
                    Array.Clear(b);
                }

                foreach (IntPtr p in pointers)
                {
                    Marshal.ZeroFreeGlobalAllocUnicode(p);
                }
            }
        }
    }
}
