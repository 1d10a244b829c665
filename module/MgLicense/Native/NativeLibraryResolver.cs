// PowerShell only searches the process's default paths, so the module points the runtime at its own runtimes/<rid>/native/ copy.
using System;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Threading;

namespace MgLicense.Native
{
    internal static class NativeLibraryResolver
    {
        // SetDllImportResolver throws when called twice for one assembly, and OnImport runs on every import in every runspace.
        private static int installed;

        internal static void EnsureInstalled()
        {
            if (Interlocked.Exchange(ref installed, 1) != 0)
            {
                return;
            }

            NativeLibrary.SetDllImportResolver(typeof(NativeLibraryResolver).Assembly, Resolve);
        }

        /// <summary>The platform's runtime identifier as NuGet lays out native assets, or null on a platform we ship nothing for.</summary>
        internal static string? RuntimeIdentifier
        {
            get
            {
                string? os = RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? "win"
                    : RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? "osx"
                    : RuntimeInformation.IsOSPlatform(OSPlatform.Linux) ? "linux"
                    : null;
                string? arch = RuntimeInformation.ProcessArchitecture switch
                {
                    Architecture.X64 => "x64",
                    Architecture.Arm64 => "arm64",
                    _ => null,
                };
                return os is null || arch is null ? null : os + "-" + arch;
            }
        }

        /// <summary>Where the module expects its native library: beside the assembly, under runtimes/&lt;rid&gt;/native/.</summary>
        internal static string? LibraryPath
        {
            get
            {
                string? rid = RuntimeIdentifier;
                string? folder = Path.GetDirectoryName(typeof(NativeLibraryResolver).Assembly.Location);
                if (rid is null || string.IsNullOrEmpty(folder))
                {
                    return null;
                }

                string file = RuntimeInformation.IsOSPlatform(OSPlatform.Windows) ? NativeMethods.LibraryName + ".dll"
                    : RuntimeInformation.IsOSPlatform(OSPlatform.OSX) ? "lib" + NativeMethods.LibraryName + ".dylib"
                    : "lib" + NativeMethods.LibraryName + ".so";
                return Path.Combine(folder, "runtimes", rid, "native", file);
            }
        }

        private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
        {
            if (libraryName != NativeMethods.LibraryName)
            {
                return IntPtr.Zero;
            }

            string? path = LibraryPath;
            if (path is not null && File.Exists(path))
            {
                // Load, not TryLoad: a library that is present but unloadable should say why.
                return NativeLibrary.Load(path);
            }

            // Nothing shipped for this platform: let the runtime's default probing have a go.
            return IntPtr.Zero;
        }
    }
}
