// Get-MgGroupMemberWithLicenseError: the members of a group whose group-based licenses failed, or one of them, paged by the engine.
using System.Collections.Generic;
using System.Management.Automation;
using MgLicense.Native;
using MgLicense.Models;

namespace MgLicense.Commands
{
    /// <summary>
    /// <para type="synopsis">Reads the members of a group whose licenses from that group are in error.</para>
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "MgGroupMemberWithLicenseError", DefaultParameterSetName = ListSet)]
    [OutputType("Microsoft.Graph.PowerShell.Models.IMicrosoftGraphDirectoryObject")]
    public sealed class GetMgGroupMemberWithLicenseError : GraphSkipListCmdlet
    {
        private const string GetSet = "Get";
        private const string IdentitySet = "GetViaIdentity";

        /// <summary>The unique identifier of directoryObject.</summary>
        [Parameter(ParameterSetName = GetSet, Mandatory = true)]
        public string? DirectoryObjectId { get; set; }

        /// <summary>The unique identifier of group.</summary>
        [Parameter(ParameterSetName = ListSet, Mandatory = true)]
        [Parameter(ParameterSetName = GetSet, Mandatory = true)]
        public string? GroupId { get; set; }

        /// <summary>Identity Parameter.</summary>
        [Parameter(ParameterSetName = IdentitySet, Mandatory = true, ValueFromPipeline = true)]
        public IGroupsIdentity? InputObject { get; set; }

        /// <summary>Indicates the requested consistency level: in every set, as in the official cmdlet.</summary>
        [Parameter]
        public override string? ConsistencyLevel { get; set; }

        /// <summary>The group and member an -InputObject names, as read before the read starts.</summary>
        private string? identityGroupId;

        private string? identityMemberId;

        protected override IUsersActionsIdentity? BoundIdentity => InputObject;

        protected override IReadOnlyList<string> TypeNames => GraphObject.DirectoryObjectTypeNames;

        protected override object? Target =>
            ParameterSetName switch
            {
                GetSet => OperationParameters(("GroupId", GroupId), ("DirectoryObjectId", DirectoryObjectId), ("ConsistencyLevel", ConsistencyLevel),
                    ("Headers", Headers)),
                IdentitySet => OperationParameters(("GroupId", identityGroupId), ("DirectoryObjectId", identityMemberId),
                    ("ConsistencyLevel", ConsistencyLevel), ("Headers", EffectiveHeaders(Headers, BoundIdentity))),
                _ => ListParameters(("GroupId", GroupId)),
            };

        protected override ErrorRecord? PrepareInput()
        {
            identityGroupId = identityMemberId = null;
            return ParameterSetName == IdentitySet ? ReadGroupMemberIdentity(InputObject, "read", Target, out identityGroupId, out identityMemberId) : null;
        }

        /// <summary>As the official cmdlet: a directoryObject whose other properties are in AdditionalProperties; ours also carries them as properties.</summary>
        protected override PSObject ToOutput(JsonElement item) => GraphObject.ToDirectoryObject(item, TypeNames);

        protected override void WriteReadFields(JsonWriter json)
        {
            switch (ParameterSetName)
            {
                case ListSet:
                    json.WriteString("resource", "groupMembersWithLicenseErrors");
                    json.WriteString("groupId", GroupId);
                    break;
                case GetSet:
                    json.WriteString("resource", "groupMemberWithLicenseError");
                    json.WriteString("groupId", GroupId);
                    json.WriteString("directoryObjectId", DirectoryObjectId);
                    break;
                default:
                    json.WriteString("resource", "groupMemberWithLicenseError");
                    json.WriteString("groupId", identityGroupId);
                    json.WriteString("directoryObjectId", identityMemberId);
                    break;
            }

            WriteListFields(json);
        }
    }
}
