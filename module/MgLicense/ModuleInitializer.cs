// PowerShell calls OnImport on every Import-Module, so the native resolver is in place before any cmdlet runs.
using System.Management.Automation;
using MgLicense.Native;

namespace MgLicense
{
    public sealed class ModuleInitializer : IModuleAssemblyInitializer
    {
        public void OnImport()
        {
            // Guarded inside: a second import, or an import in another runspace, must not install it twice.
            NativeLibraryResolver.EnsureInstalled();
        }
    }
}
