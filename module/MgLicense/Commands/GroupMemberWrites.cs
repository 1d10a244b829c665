// New-MgGroupMember and Remove-MgGroupMemberByRef: a group's members added and removed by reference, with the official parameter sets; the engine builds the URL and the reference.
using System;
using System.Collections;
using System.Management.Automation;
using MgLicense.Models;
using MgLicense.Native;

namespace MgLicense.Commands
{
    /// <summary>
    /// <para type="synopsis">Add a member to a security group or Microsoft 365 group through the members navigation property.</para>
    /// </summary>
    [Cmdlet(VerbsCommon.New, "MgGroupMember", DefaultParameterSetName = CreateExpandedSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    public sealed class NewMgGroupMember : GraphWriteCmdlet
    {
        private const string CreateExpandedSet = "CreateExpanded";
        private const string ViaIdentityExpandedSet = "CreateViaIdentityExpanded";
        private const string CreateSet = "Create1";
        private const string ViaIdentitySet = "CreateViaIdentity";

        /// <summary>The group an -InputObject names, as read before the call.</summary>
        private string? identityGroupId;

        /// <summary>The unique identifier of group.</summary>
        [Parameter(ParameterSetName = CreateExpandedSet, Mandatory = true)]
        [Parameter(ParameterSetName = CreateSet, Mandatory = true)]
        public string? GroupId { get; set; }

        /// <summary>Identity Parameter: the group, as a hashtable or object with GroupId.</summary>
        [Parameter(ParameterSetName = ViaIdentityExpandedSet, Mandatory = true, ValueFromPipeline = true)]
        [Parameter(ParameterSetName = ViaIdentitySet, Mandatory = true, ValueFromPipeline = true)]
        public IGroupsIdentity? InputObject { get; set; }

        /// <summary>Entity reference body: a hashtable with the member's URL as @odata.id (or OdataId).</summary>
        [Parameter(ParameterSetName = CreateSet, Mandatory = true, ValueFromPipeline = true)]
        [Parameter(ParameterSetName = ViaIdentitySet, Mandatory = true)]
        public Hashtable? BodyParameter { get; set; }

        /// <summary>The unique identifier of the directory object (a user's object id) to add.</summary>
        [Parameter(ParameterSetName = CreateExpandedSet)]
        [Parameter(ParameterSetName = ViaIdentityExpandedSet)]
        public string? DirectoryObjectId { get; set; }

        protected override string Operation => "addGroupMember";

        protected override string CommandName => "New-MgGroupMember";

        private bool ViaIdentity => ParameterSetName is ViaIdentityExpandedSet or ViaIdentitySet;

        private bool Body => ParameterSetName is CreateSet or ViaIdentitySet;

        protected override object? Target => Body ? BodyParameter : DirectoryObjectId;

        protected override PSObject CallTarget => OperationParameters(
            ("GroupId", ViaIdentity ? identityGroupId : GroupId), ("DirectoryObjectId", Body ? null : DirectoryObjectId),
            ("Headers", EffectiveHeaders(Headers, BoundIdentity)), ("body", Body ? BodyParameter : null));

        protected override IUsersActionsIdentity? BoundIdentity => InputObject;

        protected override ErrorRecord? PrepareInput()
        {
            identityGroupId = null;
            return ViaIdentity ? ReadIdentityKey(InputObject, "GroupId", "changed", Target, out identityGroupId) : null;
        }

        protected override void WriteFields(JsonWriter json)
        {
            json.WriteString("groupId", ViaIdentity ? identityGroupId : GroupId);
            if (!Body)
            {
                json.WriteString("directoryObjectId", DirectoryObjectId ?? string.Empty);
                return;
            }

            // The SDK's model names @odata.id OdataId; a hashtable may use either.
            object? reference = Member(BodyParameter, "@odata.id") ?? Member(BodyParameter, "OdataId");
            json.WriteString("reference", reference as string ?? throw new ArgumentException(
                "-BodyParameter has no @odata.id string; give the member's URL, such as @{ '@odata.id' = 'https://graph.microsoft.com/v1.0/directoryObjects/{id}' }."));
        }
    }

    /// <summary>
    /// <para type="synopsis">Remove a member from a group via the members navigation property.</para>
    /// </summary>
    [Cmdlet(VerbsCommon.Remove, "MgGroupMemberByRef", DefaultParameterSetName = DeleteSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(bool))]
    public sealed class RemoveMgGroupMemberByRef : GraphWriteCmdlet
    {
        private const string DeleteSet = "Delete";
        private const string ViaIdentitySet = "DeleteViaIdentity";

        /// <summary>The group and member an -InputObject names, as read before the call.</summary>
        private string? identityGroupId;
        private string? identityMemberId;

        /// <summary>The unique identifier of directoryObject.</summary>
        [Parameter(ParameterSetName = DeleteSet, Mandatory = true)]
        public string? DirectoryObjectId { get; set; }

        /// <summary>The unique identifier of group.</summary>
        [Parameter(ParameterSetName = DeleteSet, Mandatory = true)]
        public string? GroupId { get; set; }

        /// <summary>Identity Parameter: the group and member, as a hashtable or object with GroupId and DirectoryObjectId.</summary>
        [Parameter(ParameterSetName = ViaIdentitySet, Mandatory = true, ValueFromPipeline = true)]
        public IGroupsIdentity? InputObject { get; set; }

        /// <summary>ETag, sent as If-Match.</summary>
        [Parameter]
        public string? IfMatch { get; set; }

        /// <summary>Returns true when the command succeeds.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override string Operation => "removeGroupMember";

        protected override string CommandName => "Remove-MgGroupMemberByRef";

        protected override object? Target => ParameterSetName == ViaIdentitySet ? (InputObject as UsersActionsIdentity)?.Source ?? InputObject : DirectoryObjectId;

        protected override IUsersActionsIdentity? BoundIdentity => InputObject;

        protected override PSObject CallTarget
        {
            get
            {
                bool viaIdentity = ParameterSetName == ViaIdentitySet;
                return OperationParameters(
                    ("GroupId", viaIdentity ? identityGroupId : GroupId), ("DirectoryObjectId", viaIdentity ? identityMemberId : DirectoryObjectId),
                    ("IfMatch", IfMatch), ("Headers", EffectiveHeaders(Headers, BoundIdentity)));
            }
        }

        protected override ErrorRecord? PrepareInput()
        {
            identityGroupId = identityMemberId = null;
            return ParameterSetName == ViaIdentitySet ? ReadGroupMemberIdentity(InputObject, "changed", Target, out identityGroupId, out identityMemberId) : null;
        }

        protected override System.Collections.IDictionary? ExtraHeaders =>
            IfMatch is null ? null : new System.Collections.Hashtable { ["If-Match"] = IfMatch };

        protected override void WriteFields(JsonWriter json)
        {
            bool viaIdentity = ParameterSetName == ViaIdentitySet;
            json.WriteString("groupId", viaIdentity ? identityGroupId : GroupId);
            json.WriteString("directoryObjectId", viaIdentity ? identityMemberId : DirectoryObjectId);
        }

        protected override void WriteResult(JsonElement body)
        {
            if (PassThru.IsPresent)
            {
                WriteObject(true);
            }
        }
    }
}
