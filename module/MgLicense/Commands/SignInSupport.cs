// What only the front end can do for sign-in: find certificates in the platform's stores and files, export their keys for the engine, and open a browser.
using System;
using System.Diagnostics;
using System.Linq;
using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MgLicense.Native;

namespace MgLicense.Commands
{
    /// <summary>A certificate that cannot sign for us: missing, expired, without an exportable RSA key.</summary>
    public sealed class CertificateNotUsableException : Exception
    {
        public CertificateNotUsableException(string message, Exception? inner = null)
            : base(message, inner)
        {
        }
    }

    internal static class CertificateStore
    {
        /// <summary>CurrentUser then LocalMachine My, by thumbprint or subject; the newest valid certificate with a private key wins.</summary>
        internal static X509Certificate2 Find(string? thumbprint, string? name)
        {
            DateTime now = DateTime.Now;
            foreach (StoreLocation location in new[] { StoreLocation.CurrentUser, StoreLocation.LocalMachine })
            {
                try
                {
                    using var store = new X509Store(StoreName.My, location);
                    store.Open(OpenFlags.ReadOnly | OpenFlags.OpenExistingOnly);
                    // Every certificate the store hands out is a new object holding a native handle: all but the one
                    // returned are disposed here, not left to the finalizer.
                    X509Certificate2Collection all = store.Certificates;
                    X509Certificate2? found = all.Cast<X509Certificate2>()
                        .Where(c => thumbprint is not null
                            ? string.Equals(c.Thumbprint, thumbprint.Replace(" ", string.Empty), StringComparison.OrdinalIgnoreCase)
                            : string.Equals(c.Subject, name, StringComparison.OrdinalIgnoreCase)
                                || string.Equals(c.Subject, "CN=" + name, StringComparison.OrdinalIgnoreCase)
                                || string.Equals(c.GetNameInfo(X509NameType.SimpleName, false), name, StringComparison.OrdinalIgnoreCase))
                        .Where(c => c.HasPrivateKey && c.NotBefore <= now && now <= c.NotAfter)
                        .OrderByDescending(c => c.NotBefore)
                        .FirstOrDefault();
                    foreach (X509Certificate2 other in all)
                    {
                        if (!ReferenceEquals(other, found))
                        {
                            other.Dispose();
                        }
                    }

                    if (found is not null)
                    {
                        return found;
                    }
                }
                catch (CryptographicException)
                {
                    // A store that does not exist on this platform (LocalMachine on Linux): try the next.
                }
            }

            throw new CertificateNotUsableException(thumbprint is not null
                ? $"No valid certificate with a private key and thumbprint '{thumbprint}' was found in the CurrentUser or LocalMachine My store."
                : $"No valid certificate with a private key and subject '{name}' was found in the CurrentUser or LocalMachine My store.");
        }

        /// <summary>
        /// A PFX file, opened with the platform's own support. A PEM file never comes here: the engine reads it by path and
        /// opens an encrypted key with the password.
        /// </summary>
        internal static X509Certificate2 Load(string path, SecureString? password)
        {
            try
            {
                if (!System.IO.File.Exists(path))
                {
                    throw new CertificateNotUsableException($"The certificate file '{path}' does not exist.");
                }

                byte[] bytes = System.IO.File.ReadAllBytes(path);
                return new X509Certificate2(bytes, password, X509KeyStorageFlags.Exportable);
            }
            catch (CryptographicException e)
            {
                throw new CertificateNotUsableException($"The certificate file '{path}' could not be opened: {e.Message} Check -CertificatePassword.", e);
            }
        }

        /// <summary>
        /// The RSA private key as PKCS#1 DER (RSAPrivateKey, RFC 8017 A.1.2), in an array the caller clears. It is built from
        /// RSA.ExportParameters, which .NET Framework and every .NET have alike; the engine signs with it.
        /// </summary>
        internal static byte[] PrivateKeyDer(X509Certificate2 certificate)
        {
            DateTime now = DateTime.Now;
            if (now < certificate.NotBefore || now > certificate.NotAfter)
            {
                throw new CertificateNotUsableException($"The certificate '{certificate.Subject}' ({certificate.Thumbprint}) is valid only from {certificate.NotBefore:u} to {certificate.NotAfter:u}.");
            }

            using RSA? rsa = certificate.GetRSAPrivateKey();
            if (rsa is null)
            {
                throw new CertificateNotUsableException($"The certificate '{certificate.Subject}' ({certificate.Thumbprint}) has no RSA private key.");
            }

            RSAParameters key;
            try
            {
                key = rsa.ExportParameters(true);
            }
            catch (CryptographicException e)
            {
                throw new CertificateNotUsableException($"The private key of certificate '{certificate.Subject}' ({certificate.Thumbprint}) cannot be exported for signing: {e.Message}", e);
            }

            try
            {
                return RsaKeyDer.Pkcs1(key);
            }
            finally
            {
                RsaKeyDer.Clear(key);
            }
        }
    }

    /// <summary>The few lines of DER that write an RSA private key: a SEQUENCE of nine unsigned INTEGERs.</summary>
    internal static class RsaKeyDer
    {
        /// <summary>RSAPrivateKey ::= SEQUENCE { version 0, n, e, d, p, q, d mod (p-1), d mod (q-1), q^-1 mod p }.</summary>
        internal static byte[] Pkcs1(RSAParameters key)
        {
            byte[][] fields = { new byte[] { 0 }, key.Modulus!, key.Exponent!, key.D!, key.P!, key.Q!, key.DP!, key.DQ!, key.InverseQ! };
            foreach (byte[] field in fields)
            {
                if (field is null)
                {
                    throw new CertificateNotUsableException("The certificate's private key was exported without all of its RSA parameters.");
                }
            }

            int content = 0;
            foreach (byte[] field in fields)
            {
                content += IntegerLength(field);
            }

            // The one array the key is written to, exactly sized, so nothing is left in a buffer that grew.
            byte[] der = new byte[1 + LengthLength(content) + content];
            int at = 0;
            der[at++] = 0x30;
            at = WriteLength(der, at, content);
            foreach (byte[] field in fields)
            {
                at = WriteInteger(der, at, field);
            }

            return der;
        }

        internal static void Clear(RSAParameters key)
        {
            foreach (byte[]? field in new[] { key.D, key.P, key.Q, key.DP, key.DQ, key.InverseQ })
            {
                if (field is not null)
                {
                    Array.Clear(field, 0, field.Length);
                }
            }
        }

        private static int Skip(byte[] value)
        {
            int skip = 0;
            while (skip < value.Length - 1 && value[skip] == 0)
            {
                skip++;
            }

            return skip;
        }

        private static int ContentLength(byte[] value)
        {
            int skip = Skip(value);
            int length = value.Length - skip;
            return length == 0 ? 1 : length + ((value[skip] & 0x80) != 0 ? 1 : 0);
        }

        private static int IntegerLength(byte[] value)
        {
            int content = ContentLength(value);
            return 1 + LengthLength(content) + content;
        }

        private static int LengthLength(int length) => length < 0x80 ? 1 : length < 0x100 ? 2 : length < 0x10000 ? 3 : 4;

        private static int WriteLength(byte[] der, int at, int length)
        {
            int extra = LengthLength(length) - 1;
            if (extra == 0)
            {
                der[at++] = (byte)length;
                return at;
            }

            der[at++] = (byte)(0x80 | extra);
            for (int shift = 8 * (extra - 1); shift >= 0; shift -= 8)
            {
                der[at++] = (byte)(length >> shift);
            }

            return at;
        }

        /// <summary>An unsigned big-endian number as a DER INTEGER: no leading zero bytes but one where the top bit is set.</summary>
        private static int WriteInteger(byte[] der, int at, byte[] value)
        {
            int content = ContentLength(value);
            der[at++] = 0x02;
            at = WriteLength(der, at, content);
            int skip = Skip(value);
            if (value.Length == 0)
            {
                der[at++] = 0;
                return at;
            }

            if ((value[skip] & 0x80) != 0)
            {
                der[at++] = 0;
            }

            Buffer.BlockCopy(value, skip, der, at, value.Length - skip);
            return at + value.Length - skip;
        }
    }

    internal static class BrowserLauncher
    {
        /// <summary>Opens the system browser; MGLICENSE_BROWSER names another program (tests use it).</summary>
        internal static bool TryOpen(string url, out string? why)
        {
            why = null;
            try
            {
                string? program = System.Environment.GetEnvironmentVariable("MGLICENSE_BROWSER");
                ProcessStartInfo start = !string.IsNullOrEmpty(program)
                    ? new ProcessStartInfo(program, QuoteArgument(url)) { UseShellExecute = false }
                    : RuntimeInformation.IsOSPlatform(OSPlatform.Windows)
                        ? new ProcessStartInfo(url) { UseShellExecute = true }
                        : new ProcessStartInfo(RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? "open" : "xdg-open", QuoteArgument(url)) { UseShellExecute = false };
                using Process? process = Process.Start(start);
                if (process is null)
                {
                    why = "the browser did not start";
                    return false;
                }

                return true;
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or PlatformNotSupportedException)
            {
                why = e.Message;
                return false;
            }
        }

        /// <summary>
        /// One argument as ProcessStartInfo.Arguments carries it (the rules of CommandLineToArgvW, which .NET applies on every
        /// platform): quoted, with quotes and the backslashes before them escaped. ArgumentList is not in .NET Framework.
        /// </summary>
        internal static string QuoteArgument(string argument)
        {
            var quoted = new System.Text.StringBuilder(argument.Length + 2).Append('"');
            int backslashes = 0;
            foreach (char c in argument)
            {
                if (c == '\\')
                {
                    backslashes++;
                    continue;
                }

                quoted.Append('\\', c == '"' ? backslashes * 2 + 1 : backslashes).Append(c);
                backslashes = 0;
            }

            return quoted.Append('\\', backslashes * 2).Append('"').ToString();
        }
    }

    /// <summary>Forgets a user-defined environment, in the user's next sessions too, and writes it as the official cmdlet does.</summary>
    [Cmdlet(VerbsCommon.Remove, "MgEnvironment", SupportsShouldProcess = true)]
    [OutputType("Microsoft.Graph.PowerShell.Authentication.GraphEnvironment")]
    public sealed class RemoveMgEnvironment : EnvironmentCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string Name { get; set; } = null!;

        protected override void ProcessRecord()
        {
            if (!ShouldProcess(Name, "Remove environment"))
            {
                return;
            }

            WriteChanged(() => Engine.RemoveEnvironment(Name), Name);
        }
    }
}
