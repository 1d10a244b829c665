// PowerShell only searches the process's default paths, so the module points the runtime at its own runtimes/<rid>/native/ copy.
using System;
using System.ComponentModel;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Threading;

namespace MgLicense.Native
{
    /// <summary>
    /// Makes <c>DllImport("mglicense_ffi")</c> find the module's own library, without touching the process's DLL search path
    /// (no SetDllDirectory, AddDllDirectory or PATH change: other modules in the process keep theirs). On .NET (PowerShell 7)
    /// a DllImport resolver loads it by full path; NativeLibrary is not in netstandard2.0, so it is reached by reflection. On
    /// .NET Framework (Windows PowerShell 5.1), which has no resolver, the library is loaded by full path with LoadLibraryExW
    /// before the first P/Invoke: Windows then hands DllImport's load of "mglicense_ffi.dll" the module already loaded under
    /// that name.
    /// </summary>
    internal static class NativeLibraryResolver
    {
        // SetDllImportResolver throws when called twice for one assembly, and OnImport runs on every import in every runspace.
        private static int installed;

        /// <summary>NativeLibrary.Load(string), where the runtime has it (.NET Core 3.0 and later), else null.</summary>
        private static Func<string, IntPtr>? load;

        /// <summary>Why the preload failed on .NET Framework, for the error of the first call; null when it did not.</summary>
        internal static string? PreloadError { get; private set; }

        internal static void EnsureInstalled()
        {
            if (Interlocked.Exchange(ref installed, 1) != 0)
            {
                return;
            }

            Type? nativeLibrary = typeof(object).Assembly.GetType("System.Runtime.InteropServices.NativeLibrary", false)
                ?? Type.GetType("System.Runtime.InteropServices.NativeLibrary, System.Runtime.InteropServices", false);
            MethodInfo? setResolver = nativeLibrary?.GetMethod("SetDllImportResolver", BindingFlags.Public | BindingFlags.Static);
            MethodInfo? loadPath = nativeLibrary?.GetMethod("Load", BindingFlags.Public | BindingFlags.Static, null, new[] { typeof(string) }, null);
            if (setResolver is not null && loadPath is not null)
            {
                load = (Func<string, IntPtr>)Delegate.CreateDelegate(typeof(Func<string, IntPtr>), loadPath);
                Type resolverType = setResolver.GetParameters()[1].ParameterType;
                Delegate resolver = Delegate.CreateDelegate(resolverType, typeof(NativeLibraryResolver).GetMethod(nameof(Resolve), BindingFlags.NonPublic | BindingFlags.Static)!);
                setResolver.Invoke(null, new object[] { typeof(NativeLibraryResolver).Assembly, resolver });
                return;
            }

            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            {
                Preload();
            }

            // Mono on Linux or macOS (the tests' stand-in for .NET Framework): its own probing, which looks beside the assembly.
        }

        [DllImport("kernel32.dll", CharSet = CharSet.Unicode, SetLastError = true, ExactSpelling = true)]
        private static extern IntPtr LoadLibraryExW(string lpLibFileName, IntPtr hFile, uint dwFlags);

        /// <summary>Loads the library by full path (flags 0: the search path is neither read nor changed for anyone).</summary>
        private static void Preload()
        {
            string? path = LibraryPath;
            if (path is null || !File.Exists(path))
            {
                return;
            }

            if (LoadLibraryExW(path, IntPtr.Zero, 0) == IntPtr.Zero)
            {
                PreloadError = new Win32Exception(Marshal.GetLastWin32Error()).Message;
            }
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
            if (path is not null && File.Exists(path) && load is not null)
            {
                // Load, not TryLoad: a library that is present but unloadable should say why.
                return load(path);
            }

            // Nothing shipped for this platform: let the runtime's default probing have a go.
            return IntPtr.Zero;
        }
    }
}
