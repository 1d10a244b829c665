// Install-MgLicenseCompatibilityModule: small stand-in modules with the Microsoft Graph SDK's module names, so scripts that import them run with MgLicense.
using System;
using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Text;

namespace MgLicense.Commands
{
    /// <summary>
    /// <para type="synopsis">Installs stand-in modules named as the Microsoft Graph PowerShell SDK's, each giving MgLicense's commands of that module.</para>
    /// </summary>
    /// <remarks>
    /// Scripts written for the SDK say <c>Import-Module Microsoft.Graph.Users.Actions</c> or
    /// <c>#Requires -Modules Microsoft.Graph.Users</c>. With only MgLicense installed those lines fail; the stand-ins make them
    /// load MgLicense instead. A stand-in never hides the SDK: when the SDK's Microsoft.Graph.Authentication is installed,
    /// every stand-in imports the SDK's module of its name instead (unless installed with -PreferMgLicense), so a tenant
    /// that has both keeps using the SDK, and MgLicense's cmdlets and the SDK's never share one session half and half.
    /// </remarks>
    [Cmdlet(VerbsLifecycle.Install, "MgLicenseCompatibilityModule", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(PSObject))]
    public sealed class InstallMgLicenseCompatibilityModule : PSCmdlet
    {
        /// <summary>The mark in a stand-in's manifest (PrivateData) by which stand-ins tell themselves from the SDK's modules.</summary>
        internal const string StandInMark = "MgLicenseStandIn";

        /// <summary>The SDK's module that signs in for all the others; its presence decides who serves a session.</summary>
        private const string AuthenticationModule = "Microsoft.Graph.Authentication";

        /// <summary>
        /// The SDK modules MgLicense stands in for, with the commands of each that MgLicense may export (those it does export at
        /// install time are written; a module left with none is not). From the SDK's reference (learn.microsoft.com/powershell/module).
        /// </summary>
        internal static readonly IReadOnlyList<KeyValuePair<string, string[]>> OfficialModules = new[]
        {
            new KeyValuePair<string, string[]>(AuthenticationModule, new[]
            {
                "Connect-MgGraph", "Disconnect-MgGraph", "Get-MgContext", "Get-MgEnvironment", "Add-MgEnvironment", "Set-MgEnvironment",
                "Remove-MgEnvironment", "Get-MgRequestContext", "Set-MgRequestContext", "Invoke-MgGraphRequest",
                "Connect-Graph", "Disconnect-Graph", "Invoke-GraphRequest",
            }),
            new KeyValuePair<string, string[]>("Microsoft.Graph.Users", new[] { "Get-MgUser", "Update-MgUser" }),
            new KeyValuePair<string, string[]>("Microsoft.Graph.Users.Actions", new[] { "Invoke-MgLicenseUser", "Set-MgUserLicense" }),
            new KeyValuePair<string, string[]>("Microsoft.Graph.Beta.Users.Actions", new[]
            {
                "Invoke-MgBetaLicenseUser", "Invoke-MgBetaLicenseUser2", "Invoke-MgBetaReprocessUserCloudLicensingAssignment",
            }),
            new KeyValuePair<string, string[]>("Microsoft.Graph.Groups", new[] { "Get-MgGroup", "Get-MgGroupMember", "Get-MgGroupMemberWithLicenseError" }),
            new KeyValuePair<string, string[]>("Microsoft.Graph.Identity.DirectoryManagement", new[] { "Get-MgSubscribedSku" }),
        };

        /// <summary>
        /// The modules folder to install into. By default the current user's: Documents\PowerShell\Modules (PowerShell 7 on
        /// Windows), Documents\WindowsPowerShell\Modules (Windows PowerShell 5.1), ~/.local/share/powershell/Modules (Linux, macOS).
        /// </summary>
        [Parameter(Position = 0)]
        [ValidateNotNullOrEmpty]
        public string? Path { get; set; }

        /// <summary>Which of the SDK's modules to stand in for; by default all six.</summary>
        [Parameter]
        [ValidateSet(AuthenticationModule, "Microsoft.Graph.Users", "Microsoft.Graph.Users.Actions", "Microsoft.Graph.Beta.Users.Actions",
            "Microsoft.Graph.Groups", "Microsoft.Graph.Identity.DirectoryManagement")]
        public string[]? Name { get; set; }

        /// <summary>The version the stand-ins declare (default 2.0.0, the first 2.x, which any real 2.x SDK release outranks).</summary>
        [Parameter]
        [ValidateNotNull]
        public Version ModuleVersion { get; set; } = new Version(2, 0, 0);

        /// <summary>Use MgLicense even where the SDK is installed too (by default the stand-ins give way to the SDK).</summary>
        [Parameter]
        public SwitchParameter PreferMgLicense { get; set; }

        protected override void EndProcessing()
        {
            PSModuleInfo? own = MyInvocation.MyCommand.Module;
            if (own is null)
            {
                ThrowTerminatingError(new ErrorRecord(new InvalidOperationException("Import the MgLicense module to install its stand-ins."),
                    "MgLicenseNotImported", ErrorCategory.InvalidOperation, null));
                return;
            }

            string root;
            try
            {
                root = SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path ?? DefaultModulesFolder());
            }
            catch (Exception e) when (e is ArgumentException or ItemNotFoundException or NotSupportedException or ProviderNotFoundException or System.Management.Automation.DriveNotFoundException)
            {
                ThrowTerminatingError(new ErrorRecord(new ArgumentException($"-Path '{Path}' is not a folder of the file system: {e.Message}", e),
                    "InvalidPath", ErrorCategory.InvalidArgument, Path));
                return;
            }

            var exported = new HashSet<string>(own.ExportedCmdlets.Keys.Concat(own.ExportedFunctions.Keys).Concat(own.ExportedAliases.Keys),
                StringComparer.OrdinalIgnoreCase);
            var wanted = Name is null ? null : new HashSet<string>(Name, StringComparer.OrdinalIgnoreCase);
            string manifest = System.IO.Path.Combine(own.ModuleBase, "MgLicense.psd1");
            foreach (KeyValuePair<string, string[]> module in OfficialModules)
            {
                if (wanted is not null && !wanted.Contains(module.Key))
                {
                    continue;
                }

                string[] commands = module.Value.Where(exported.Contains).ToArray();
                if (commands.Length == 0)
                {
                    continue;
                }

                string folder = System.IO.Path.Combine(root, module.Key, ModuleVersion.ToString());
                string psd1 = System.IO.Path.Combine(folder, module.Key + ".psd1");
                if (File.Exists(psd1) && !File.ReadAllText(psd1).Contains(StandInMark))
                {
                    WriteError(new ErrorRecord(
                        new IOException($"{folder} holds the Microsoft Graph SDK's own {module.Key} {ModuleVersion}; it was left as it is. Choose another -ModuleVersion or -Path."),
                        "SdkModuleInTheWay", ErrorCategory.ResourceExists, folder));
                    continue;
                }

                if (!ShouldProcess(folder, $"Install the stand-in for {module.Key} ({string.Join(", ", commands)})"))
                {
                    continue;
                }

                try
                {
                    Directory.CreateDirectory(folder);
                    File.WriteAllText(psd1, Manifest(module.Key, commands, own), new UTF8Encoding(true));
                    File.WriteAllText(System.IO.Path.Combine(folder, module.Key + ".psm1"), Script(module.Key, commands, manifest), new UTF8Encoding(true));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    WriteError(new ErrorRecord(e, "StandInNotWritten", ErrorCategory.WriteError, folder));
                    continue;
                }

                var result = new PSObject();
                result.Properties.Add(new PSNoteProperty("Name", module.Key));
                result.Properties.Add(new PSNoteProperty("Version", ModuleVersion));
                result.Properties.Add(new PSNoteProperty("Path", psd1));
                result.Properties.Add(new PSNoteProperty("Commands", commands));
                result.Properties.Add(new PSNoteProperty("PreferMgLicense", PreferMgLicense.IsPresent));
                WriteObject(result);
            }

            if (!PreferMgLicense.IsPresent && SdkAuthenticationInstalled() is string sdk)
            {
                WriteWarning($"The Microsoft Graph SDK's {AuthenticationModule} is installed ({sdk}): the stand-ins give way to the SDK's modules, "
                    + "so scripts keep using the SDK. Install them with -PreferMgLicense to use MgLicense instead.");
            }

            if (!ModulePathHolds(root))
            {
                WriteWarning($"{root} is not in PSModulePath, so Import-Module does not find the stand-ins by name; add it: "
                    + $"$env:PSModulePath = '{root}' + [IO.Path]::PathSeparator + $env:PSModulePath");
            }
        }

        /// <summary>The current user's modules folder for this edition of PowerShell.</summary>
        private string DefaultModulesFolder()
        {
            bool windows = System.IO.Path.DirectorySeparatorChar == '\\';
            if (windows)
            {
                bool desktop = (SessionState.PSVariable.GetValue("PSEdition") as string) == "Desktop";
                return System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.MyDocuments), desktop ? "WindowsPowerShell" : "PowerShell", "Modules");
            }

            string? data = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
            if (string.IsNullOrEmpty(data))
            {
                data = System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
            }

            return System.IO.Path.Combine(data, "powershell", "Modules");
        }

        private static bool ModulePathHolds(string folder)
        {
            string full = System.IO.Path.GetFullPath(folder).TrimEnd(System.IO.Path.DirectorySeparatorChar);
            return (Environment.GetEnvironmentVariable("PSModulePath") ?? string.Empty)
                .Split(new[] { System.IO.Path.PathSeparator }, StringSplitOptions.RemoveEmptyEntries)
                .Any(entry =>
                {
                    try
                    {
                        return string.Equals(System.IO.Path.GetFullPath(entry).TrimEnd(System.IO.Path.DirectorySeparatorChar), full,
                            System.IO.Path.DirectorySeparatorChar == '\\' ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
                    }
                    catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
                    {
                        return false;
                    }
                });
        }

        /// <summary>Where the SDK's own Microsoft.Graph.Authentication is installed, or null.</summary>
        private string? SdkAuthenticationInstalled()
        {
            foreach (PSObject found in InvokeCommand.InvokeScript(
                $"Get-Module -ListAvailable -Name {AuthenticationModule} | Where-Object {{ -not ($_.PrivateData -is [hashtable] -and $_.PrivateData.ContainsKey('{StandInMark}')) }} | Select-Object -First 1 -ExpandProperty ModuleBase"))
            {
                if (found?.BaseObject is string path)
                {
                    return path;
                }
            }

            return null;
        }

        private static string Quote(string text) => "'" + text.Replace("'", "''") + "'";

        private static string List(IEnumerable<string> items) => "@(" + string.Join(", ", items.Select(Quote)) + ")";

        private string Manifest(string name, string[] commands, PSModuleInfo own)
        {
            string[] aliases = commands.Where(c => own.ExportedAliases.ContainsKey(c)).ToArray();
            string[] cmdlets = commands.Except(aliases).ToArray();
            var text = new StringBuilder();
            text.AppendLine($"# {name} as MgLicense stands in for it: written by Install-MgLicenseCompatibilityModule. Delete this folder to remove it.");
            text.AppendLine("@{");
            text.AppendLine($"    RootModule           = {Quote(name + ".psm1")}");
            text.AppendLine($"    ModuleVersion        = {Quote(ModuleVersion.ToString())}");
            text.AppendLine($"    GUID                 = {Quote(StandInGuid(name).ToString())}");
            text.AppendLine("    Author               = 'MgLicense contributors'");
            text.AppendLine("    CompanyName          = 'MgLicense'");
            text.AppendLine($"    Description          = {Quote($"MgLicense's stand-in for the Microsoft Graph PowerShell SDK module {name}: gives MgLicense's {string.Join(", ", commands)}, or the SDK's module when the SDK is installed.")}");
            text.AppendLine("    PowerShellVersion    = '5.1'");
            text.AppendLine("    CompatiblePSEditions = @('Desktop', 'Core')");
            text.AppendLine($"    CmdletsToExport      = {List(cmdlets)}");
            text.AppendLine("    FunctionsToExport    = @()");
            text.AppendLine($"    AliasesToExport      = {List(aliases)}");
            text.AppendLine("    VariablesToExport    = @()");
            text.AppendLine($"    PrivateData          = @{{ {StandInMark} = @{{ PreferMgLicense = ${PreferMgLicense.IsPresent.ToString().ToLowerInvariant()} }} }}");
            text.AppendLine("}");
            return text.ToString();
        }

        /// <summary>
        /// The stand-in's script: MgLicense's commands of this module, or, when the SDK's Microsoft.Graph.Authentication is
        /// installed (and the stand-in was not installed with -PreferMgLicense), the SDK's own module of this name.
        /// </summary>
        private string Script(string name, string[] commands, string manifest)
        {
            var text = new StringBuilder();
            text.AppendLine($"# {name} as MgLicense stands in for it: written by Install-MgLicenseCompatibilityModule. Delete this folder to remove it.");
            text.AppendLine("Set-StrictMode -Off");
            text.AppendLine($"$preferMgLicense = ${PreferMgLicense.IsPresent.ToString().ToLowerInvariant()}");
            text.AppendLine("function Test-StandIn($Module) { $Module.PrivateData -is [hashtable] -and $Module.PrivateData.ContainsKey('" + StandInMark + "') }");
            text.AppendLine("if (-not $preferMgLicense -and @(Get-Module -ListAvailable -Name " + Quote(AuthenticationModule) + " | Where-Object { -not (Test-StandIn $_) }).Count -gt 0) {");
            text.AppendLine("    # The SDK is installed: its modules serve the session, this one gives way to the SDK's module of the same name.");
            text.AppendLine($"    $sdk = Get-Module -ListAvailable -Name {Quote(name)} | Where-Object {{ -not (Test-StandIn $_) }} | Sort-Object Version -Descending | Select-Object -First 1");
            text.AppendLine("    if (-not $sdk) {");
            text.AppendLine($"        throw \"The Microsoft Graph SDK is installed (Microsoft.Graph.Authentication), but not its {name}; MgLicense's stand-in gives way to the SDK. Install the SDK's {name}, or reinstall the stand-ins with Install-MgLicenseCompatibilityModule -PreferMgLicense.\"");
            text.AppendLine("    }");
            text.AppendLine("    Import-Module $sdk.Path -Global");
            text.AppendLine("    Export-ModuleMember");
            text.AppendLine("    return");
            text.AppendLine("}");
            text.AppendLine("# MgLicense as it is loaded already, else as installed, else from where the stand-in was installed from.");
            text.AppendLine("$loaded = Get-Module -Name MgLicense | Select-Object -First 1");
            text.AppendLine("if ($loaded) { Import-Module -ModuleInfo $loaded }");
            text.AppendLine("elseif (Get-Module -ListAvailable -Name MgLicense) { Import-Module MgLicense }");
            text.AppendLine("else { Import-Module " + Quote(manifest) + " }");
            text.AppendLine($"Export-ModuleMember -Cmdlet {List(commands)} -Alias {List(commands)}");
            return text.ToString();
        }

        /// <summary>A stable GUID per stand-in, derived from its name, so reinstalling keeps the module's identity.</summary>
        private static Guid StandInGuid(string name)
        {
            using var sha = System.Security.Cryptography.SHA256.Create();
            byte[] hash = new byte[16];
            Array.Copy(sha.ComputeHash(Encoding.UTF8.GetBytes("MgLicense stand-in " + name)), hash, 16);
            hash[6] = (byte)((hash[6] & 0x0F) | 0x30);
            hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
            return new Guid(hash);
        }
    }
}
