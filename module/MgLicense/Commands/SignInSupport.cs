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

        /// <summary>A PFX, or a PEM file with an encrypted key, opened with the platform's own support.</summary>
        internal static X509Certificate2 Load(string path, SecureString? password)
        {
            IntPtr unicode = IntPtr.Zero;
            try
            {
                string text = System.IO.File.Exists(path) ? string.Empty : throw new CertificateNotUsableException($"The certificate file '{path}' does not exist.");
                byte[] bytes = System.IO.File.ReadAllBytes(path);
                bool pem = bytes.Length > 10 && System.Text.Encoding.ASCII.GetString(bytes, 0, Math.Min(bytes.Length, 4096)).Contains("-----BEGIN", StringComparison.Ordinal);
                ReadOnlySpan<char> secret = default;
                if (password is not null)
                {
                    unsafe
                    {
                        unicode = Marshal.SecureStringToGlobalAllocUnicode(password);
                        secret = new ReadOnlySpan<char>((void*)unicode, password.Length);
                    }
                }

                if (pem)
                {
                    string pemText = System.Text.Encoding.ASCII.GetString(bytes);
                    if (password is null && pemText.Contains("ENCRYPTED PRIVATE KEY", StringComparison.Ordinal))
                    {
                        throw new CertificateNotUsableException(
                            $"The certificate file '{path}' holds an encrypted private key: give its password (-CertificatePassword, or AZURE_CLIENT_CERTIFICATE_PASSWORD with -EnvironmentVariable).");
                    }

                    return password is null ? X509Certificate2.CreateFromPem(pemText) : X509Certificate2.CreateFromEncryptedPem(pemText, pemText, secret);
                }

#pragma warning disable SYSLIB0057 // The loader API is .NET 9+; the module targets net8.0.
                return new X509Certificate2(bytes, secret, X509KeyStorageFlags.Exportable);
#pragma warning restore SYSLIB0057
            }
            catch (CryptographicException e)
            {
                throw new CertificateNotUsableException($"The certificate file '{path}' could not be opened: {e.Message} Check -CertificatePassword.", e);
            }
            finally
            {
                if (unicode != IntPtr.Zero)
                {
                    Marshal.ZeroFreeGlobalAllocUnicode(unicode);
                }
            }
        }

        /// <summary>The RSA private key as base64 PKCS#8, in a char buffer the caller clears.</summary>
        internal static char[] PrivateKeyBase64(X509Certificate2 certificate)
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

            byte[] der;
            try
            {
                der = rsa.ExportPkcs8PrivateKey();
            }
            catch (CryptographicException e)
            {
                throw new CertificateNotUsableException($"The private key of certificate '{certificate.Subject}' ({certificate.Thumbprint}) cannot be exported for signing: {e.Message}", e);
            }

            try
            {
                char[] chars = new char[(der.Length + 2) / 3 * 4];
                Convert.ToBase64CharArray(der, 0, der.Length, chars, 0);
                return chars;
            }
            finally
            {
                CryptographicOperations.ZeroMemory(der);
            }
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
                    ? new ProcessStartInfo(program) { UseShellExecute = false, ArgumentList = { url } }
                    : RuntimeInformation.IsOSPlatform(OSPlatform.Windows)
                        ? new ProcessStartInfo(url) { UseShellExecute = true }
                        : new ProcessStartInfo(RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? "open" : "xdg-open") { UseShellExecute = false, ArgumentList = { url } };
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
    }

    /// <summary>Forgets a user-defined environment.</summary>
    [Cmdlet(VerbsCommon.Remove, "MgEnvironment", SupportsShouldProcess = true)]
    public sealed class RemoveMgEnvironment : MgLicenseCmdlet
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

            try
            {
                Engine.RemoveEnvironment(Name);
            }
            catch (EngineException e)
            {
                ThrowEngineError(e, Name);
            }
        }
    }
}
