// New-MgGroupMember and Remove-MgGroupMemberByRef: a group's members added and removed by reference, with the official parameter sets; the engine builds the URL and the reference.
using System.Management.Automation;
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

        /// <summary>The unique identifier of group.</summary>
        [Parameter(ParameterSetName = CreateExpandedSet, Mandatory = true)]
        public string? GroupId { get; set; }

        /// <summary>The unique identifier of the directory object (a user's object id) to add.</summary>
        [Parameter(ParameterSetName = CreateExpandedSet)]
        public string? DirectoryObjectId { get; set; }

        protected override string Operation => "addGroupMember";

        protected override string CommandName => "New-MgGroupMember";

        protected override object? Target => DirectoryObjectId;

        protected override void WriteFields(JsonWriter json)
        {
            json.WriteString("groupId", GroupId);
            json.WriteString("directoryObjectId", DirectoryObjectId ?? string.Empty);
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

        /// <summary>The unique identifier of directoryObject.</summary>
        [Parameter(ParameterSetName = DeleteSet, Mandatory = true)]
        public string? DirectoryObjectId { get; set; }

        /// <summary>The unique identifier of group.</summary>
        [Parameter(ParameterSetName = DeleteSet, Mandatory = true)]
        public string? GroupId { get; set; }

        /// <summary>ETag, sent as If-Match.</summary>
        [Parameter]
        public string? IfMatch { get; set; }

        /// <summary>Returns true when the command succeeds.</summary>
        [Parameter]
        public SwitchParameter PassThru { get; set; }

        protected override string Operation => "removeGroupMember";

        protected override string CommandName => "Remove-MgGroupMemberByRef";

        protected override object? Target => DirectoryObjectId;

        protected override System.Collections.IDictionary? ExtraHeaders =>
            IfMatch is null ? null : new System.Collections.Hashtable { ["If-Match"] = IfMatch };

        protected override void WriteFields(JsonWriter json)
        {
            json.WriteString("groupId", GroupId);
            json.WriteString("directoryObjectId", DirectoryObjectId);
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
