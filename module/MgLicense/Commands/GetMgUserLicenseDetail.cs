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
    public sealed class GetMgUserLicenseDetail : GraphSkipListCmdlet
    {
        private static readonly string[] LicenseDetailsTypeNames =
        {
            "Microsoft.Graph.PowerShell.Models.MicrosoftGraphLicenseDetails",
            "MgLicense.LicenseDetails",
        };

        private const string GetSet = "Get";
        private const string IdentitySet = "GetViaIdentity";

        /// <summary>The license an -InputObject names, as read before the read starts.</summary>
        private string? identityLicenseId;

        /// <summary>The unique identifier of licenseDetails.</summary>
        [Parameter(ParameterSetName = GetSet, Mandatory = true)]
        public string? LicenseDetailsId { get; set; }

        /// <summary>The unique identifier of user.</summary>
        [Parameter(ParameterSetName = GetSet, Mandatory = true)]
        [Parameter(ParameterSetName = ListSet, Mandatory = true)]
        public string? UserId { get; set; }

        /// <summary>Identity Parameter: the user and license, as a hashtable or object with UserId (or UserPrincipalName) and LicenseDetailsId.</summary>
        [Parameter(ParameterSetName = IdentitySet, Mandatory = true, ValueFromPipeline = true)]
        public IUsersIdentity? InputObject { get; set; }

        protected override IReadOnlyList<string> TypeNames => LicenseDetailsTypeNames;

        /// <summary>The operation's parameters, as the official error records name them (TargetObject).</summary>
        protected override object? Target => ParameterSetName == ListSet
            ? ListParameters(("UserId", UserId))
            : OperationParameters(
                ("UserId", ParameterSetName == GetSet ? UserId : IdentityUserId(identity)),
                ("LicenseDetailsId", ParameterSetName == GetSet ? LicenseDetailsId : identityLicenseId),
                ("Select", Property), ("Expand", ExpandProperty), ("Headers", EffectiveHeaders(Headers, BoundIdentity)));

        protected override IUsersActionsIdentity? BoundIdentity => InputObject;

        private IdentityInput identity = new IdentityInput(null, null);

        protected override ErrorRecord? PrepareInput()
        {
            identityLicenseId = null;
            identity = new IdentityInput(null, null);
            if (ParameterSetName != IdentitySet)
            {
                return ReadIdentity(UserId, null, "read", Target, out identity);
            }

            // A bare string names a user but no license: both are needed, as in the official identity.
            if (InputObject is UsersActionsIdentity { UserId: string })
            {
                return new ErrorRecord(
                    new System.ArgumentException("InputObject must name both the user (UserId or UserPrincipalName) and LicenseDetailsId; nothing was read for this input."),
                    "InvalidArgument", ErrorCategory.InvalidArgument, Target);
            }

            return ReadIdentityKey(InputObject, "LicenseDetailsId", out identityLicenseId) ?? ReadIdentity(null, InputObject, "read", Target, out identity);
        }

        protected override void WriteReadFields(JsonWriter json)
        {
            if (ParameterSetName != ListSet)
            {
                json.WriteString("resource", "userLicenseDetail");
                json.WriteString("licenseDetailsId", ParameterSetName == IdentitySet ? identityLicenseId : LicenseDetailsId);
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
    public sealed class GetMgGroupMember : GraphSkipListCmdlet
    {
        /// <summary>The unique identifier of group.</summary>
        [Parameter(ParameterSetName = ListSet, Mandatory = true)]
        public string? GroupId { get; set; }

        protected override IReadOnlyList<string> TypeNames => GraphObject.DirectoryObjectTypeNames;

        /// <summary>The operation's parameters, as the official error records name them (TargetObject).</summary>
        protected override object? Target => ListParameters(("GroupId", GroupId));

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
