// Get-MgUserLicenseDetail and Get-MgGroupMember: a user's licenses with their service plans, and a group's members, paged by the engine like every read.
using System.Collections.Generic;
using System.Management.Automation;
using MgLicense.Models;
using MgLicense.Native;

namespace MgLicense.Commands
{
    /// <summary>
    /// <para type="synopsis">A collection of this user's license details, one per SKU, with the provisioning status of each service plan.</para>
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "MgUserLicenseDetail", DefaultParameterSetName = ListSet)]
    [OutputType("Microsoft.Graph.PowerShell.Models.IMicrosoftGraphLicenseDetails")]
    public sealed class GetMgUserLicenseDetail : GraphListCmdlet
    {
        private static readonly string[] LicenseDetailsTypeNames =
        {
            "Microsoft.Graph.PowerShell.Models.MicrosoftGraphLicenseDetails",
            "MgLicense.LicenseDetails",
        };

        private const string GetSet = "Get";

        /// <summary>The unique identifier of licenseDetails.</summary>
        [Parameter(ParameterSetName = GetSet, Mandatory = true)]
        public string? LicenseDetailsId { get; set; }

        /// <summary>The unique identifier of user.</summary>
        [Parameter(ParameterSetName = GetSet, Mandatory = true)]
        [Parameter(ParameterSetName = ListSet, Mandatory = true)]
        public string? UserId { get; set; }

        protected override IReadOnlyList<string> TypeNames => LicenseDetailsTypeNames;

        protected override object? Target => UserId;

        private IdentityInput identity = new IdentityInput(null, null);

        protected override ErrorRecord? PrepareInput() => ReadIdentity(UserId, null, "read", Target, out identity);

        protected override void WriteReadFields(JsonWriter json)
        {
            if (ParameterSetName == GetSet)
            {
                json.WriteString("resource", "userLicenseDetail");
                json.WriteString("licenseDetailsId", LicenseDetailsId);
            }
            else
            {
                json.WriteString("resource", "userLicenseDetails");
            }

            WriteIdentity(json, identity);
            WriteListFields(json);
        }
    }

    /// <summary>
    /// <para type="synopsis">The members of a group: users, groups, devices and other directory objects.</para>
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "MgGroupMember", DefaultParameterSetName = ListSet)]
    [OutputType("Microsoft.Graph.PowerShell.Models.IMicrosoftGraphDirectoryObject")]
    public sealed class GetMgGroupMember : GraphListCmdlet
    {
        /// <summary>The unique identifier of group.</summary>
        [Parameter(ParameterSetName = ListSet, Mandatory = true)]
        public string? GroupId { get; set; }

        protected override IReadOnlyList<string> TypeNames => GraphObject.DirectoryObjectTypeNames;

        protected override object? Target => GroupId;

        /// <summary>As the official cmdlet: a directoryObject whose other properties are in AdditionalProperties; ours also carries them as properties.</summary>
        protected override PSObject ToOutput(JsonElement item) => GraphObject.ToDirectoryObject(item, TypeNames);

        protected override void WriteReadFields(JsonWriter json)
        {
            json.WriteString("resource", "groupMembers");
            json.WriteString("groupId", GroupId);
            WriteListFields(json);
        }
    }
}
