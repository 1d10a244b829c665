// The code a read runs for every object it writes is compiled optimized at once, not first unoptimized and then again (bench/observations.md, "Reads at tenant scale").
using System.Runtime.CompilerServices;

namespace MgLicense.Native
{
    internal static class HotPath
    {
        /// <summary>
        /// MethodImplOptions.AggressiveOptimization, which netstandard2.0 does not name: .NET skips its tiers for the method and
        /// compiles it fully optimized on first call. Runtimes that do not know the flag ignore it: Mono does (the Windows
        /// PowerShell 5.1 lane, tests/Desktop), and .NET Framework, which predates it, is expected to.
        /// </summary>
        internal const MethodImplOptions Optimized = (MethodImplOptions)512;
    }
}
