// Error records that name the official cmdlet variant ("Invoke-MgLicenseUser_License"), as the Microsoft Graph PowerShell SDK's do.
using System;
using System.Collections.Generic;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Reflection;

namespace MgLicense.Commands
{
    /// <summary>
    /// The official modules export each generated cmdlet as a function over one internal cmdlet per parameter set
    /// ("Invoke-MgLicenseUser_License", class Microsoft.Graph.PowerShell.Cmdlets.InvokeMgLicenseUser_License). Their errors
    /// come from that internal cmdlet, so PowerShell shows "Invoke-MgLicenseUser_License: …" and builds the
    /// FullyQualifiedErrorId "&lt;code&gt;,Microsoft.Graph.PowerShell.Cmdlets.InvokeMgLicenseUser_License" from it. Scripts
    /// match on both, so an error record of ours is given the same command: a CmdletInfo of that name whose implementing
    /// type has the official full name (the marker classes below, which are never exported or run).
    /// </summary>
    /// <remarks>
    /// PowerShell attaches the writing cmdlet's own invocation to every record it writes, unless the record asks it to keep
    /// the one it has; that request (ErrorRecord.PreserveInvocationInfoOnce) and ErrorRecord.SetInvocationInfo are internal,
    /// the same in Windows PowerShell 5.1 and PowerShell 7, and reached by reflection. Were they ever missing, the record is
    /// written as PowerShell makes it ("…,MgLicense.Commands.InvokeMgLicenseUser"), nothing else changes.
    /// </remarks>
    internal static class OfficialVariant
    {
        private const BindingFlags Internal = BindingFlags.Instance | BindingFlags.NonPublic;

        private static readonly MethodInfo? SetInvocationInfo = typeof(ErrorRecord).GetMethod("SetInvocationInfo", Internal, null, new[] { typeof(InvocationInfo) }, null);

        private static readonly PropertyInfo? PreserveInvocationInfoOnce = typeof(ErrorRecord).GetProperty("PreserveInvocationInfoOnce", Internal);

        private static readonly PropertyInfo? ScriptPosition = typeof(InvocationInfo).GetProperty("ScriptPosition", Internal);

        /// <summary>The marker classes by their names ("GetMgUser_List", "InvokeMgBetaLicenseUser_License").</summary>
        private static readonly Dictionary<string, Type> Markers = FindMarkers();

        private static readonly Dictionary<string, CmdletInfo> Commands = new Dictionary<string, CmdletInfo>(StringComparer.Ordinal);

        private static Dictionary<string, Type> FindMarkers()
        {
            var markers = new Dictionary<string, Type>(StringComparer.Ordinal);
            foreach (Type type in typeof(OfficialVariant).Assembly.GetTypes())
            {
                if (type.Namespace is "Microsoft.Graph.PowerShell.Cmdlets" or "Microsoft.Graph.Beta.PowerShell.Cmdlets" && typeof(Cmdlet).IsAssignableFrom(type))
                {
                    markers[type.Name] = type;
                }
            }

            return markers;
        }

        /// <summary>
        /// The official variant's command for <paramref name="command"/> in parameter set <paramref name="set"/>
        /// ("Get-MgUser", "List" → Get-MgUser_List), or null when the official module has no such generated variant.
        /// </summary>
        internal static CmdletInfo? Command(string command, string set)
        {
            string name = command + "_" + set;
            lock (Commands)
            {
                if (Commands.TryGetValue(name, out CmdletInfo? known))
                {
                    return known;
                }

                if (!Markers.TryGetValue(name.Replace("-", string.Empty), out Type? marker))
                {
                    return null;
                }

                var info = new CmdletInfo(name, marker);
                Commands[name] = info;
                return info;
            }
        }

        /// <summary>
        /// <paramref name="record"/>, made to name the official variant of the cmdlet writing it, at the caller's position;
        /// unchanged for a cmdlet without one (Connect-MgGraph, say) or where PowerShell's internals differ.
        /// </summary>
        internal static ErrorRecord Stamp(ErrorRecord record, PSCmdlet cmdlet)
        {
            if (record.InvocationInfo is not null || SetInvocationInfo is null || PreserveInvocationInfoOnce is null
                || cmdlet.MyInvocation.MyCommand is not CommandInfo own || string.IsNullOrEmpty(cmdlet.ParameterSetName)
                || Command(own.Name, cmdlet.ParameterSetName) is not CmdletInfo variant)
            {
                return record;
            }

            try
            {
                var position = ScriptPosition?.GetValue(cmdlet.MyInvocation) as IScriptExtent;
                InvocationInfo invocation = InvocationInfo.Create(variant, position);
                SetInvocationInfo.Invoke(record, new object[] { invocation });
                PreserveInvocationInfoOnce.SetValue(record, true);
            }
            catch (Exception e) when (e is TargetInvocationException or ArgumentException or MemberAccessException or InvalidOperationException)
            {
                // As PowerShell makes it: the cmdlet's own name.
            }

            return record;
        }
    }
}

namespace Microsoft.Graph.PowerShell.Cmdlets
{
    // The official v1.0 variants MgLicense's cmdlets stand for, one per parameter set (see MgLicense.Commands.OfficialVariant).
#pragma warning disable SA1402, SA1649
    internal sealed class InvokeMgLicenseUser_License : Cmdlet { }
    internal sealed class InvokeMgLicenseUser_LicenseViaIdentity : Cmdlet { }
    internal sealed class GetMgUser_List : Cmdlet { }
    internal sealed class GetMgUser_Get : Cmdlet { }
    internal sealed class GetMgUser_GetViaIdentity : Cmdlet { }
    internal sealed class GetMgGroup_List : Cmdlet { }
    internal sealed class GetMgGroup_Get : Cmdlet { }
    internal sealed class GetMgGroup_GetViaIdentity : Cmdlet { }
    internal sealed class GetMgGroupMemberWithLicenseError_List : Cmdlet { }
    internal sealed class GetMgGroupMemberWithLicenseError_Get : Cmdlet { }
    internal sealed class GetMgGroupMemberWithLicenseError_GetViaIdentity : Cmdlet { }
    internal sealed class GetMgSubscribedSku_List : Cmdlet { }
    internal sealed class GetMgSubscribedSku_Get : Cmdlet { }
    internal sealed class GetMgSubscribedSku_GetViaIdentity : Cmdlet { }
    internal sealed class UpdateMgUser_UpdateExpanded : Cmdlet { }
    internal sealed class UpdateMgUser_Update : Cmdlet { }
    internal sealed class UpdateMgUser_UpdateViaIdentityExpanded : Cmdlet { }
    internal sealed class UpdateMgUser_UpdateViaIdentity : Cmdlet { }
    internal sealed class SetMgUserLicense_AssignExpanded : Cmdlet { }
    internal sealed class SetMgUserLicense_Assign : Cmdlet { }
    internal sealed class SetMgUserLicense_AssignViaIdentityExpanded : Cmdlet { }
    internal sealed class SetMgUserLicense_AssignViaIdentity : Cmdlet { }
    internal sealed class GetMgUserLicenseDetail_List : Cmdlet { }
    internal sealed class GetMgUserLicenseDetail_Get : Cmdlet { }
    internal sealed class GetMgUserLicenseDetail_GetViaIdentity : Cmdlet { }
    internal sealed class GetMgGroupMember_List : Cmdlet { }
    internal sealed class NewMgGroupMember_CreateExpanded : Cmdlet { }
    internal sealed class NewMgGroupMember_Create1 : Cmdlet { }
    internal sealed class NewMgGroupMember_CreateViaIdentityExpanded : Cmdlet { }
    internal sealed class NewMgGroupMember_CreateViaIdentity : Cmdlet { }
    internal sealed class RemoveMgGroupMemberByRef_Delete : Cmdlet { }
    internal sealed class RemoveMgGroupMemberByRef_DeleteViaIdentity : Cmdlet { }
}

namespace Microsoft.Graph.Beta.PowerShell.Cmdlets
{
    // The official beta variants (Invoke-MgBetaLicenseUser's are documented; the other two cmdlets follow the same pattern).
    internal sealed class InvokeMgBetaLicenseUser_License : Cmdlet { }
    internal sealed class InvokeMgBetaLicenseUser_LicenseViaIdentity : Cmdlet { }
    internal sealed class InvokeMgBetaLicenseUser2_License : Cmdlet { }
    internal sealed class InvokeMgBetaLicenseUser2_LicenseViaIdentity : Cmdlet { }
    internal sealed class InvokeMgBetaLicenseUser2_Me : Cmdlet { }
    internal sealed class InvokeMgBetaReprocessUserCloudLicensingAssignment_Reprocess : Cmdlet { }
    internal sealed class InvokeMgBetaReprocessUserCloudLicensingAssignment_ReprocessViaIdentity : Cmdlet { }
#pragma warning restore SA1402, SA1649
}
