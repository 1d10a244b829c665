// Get-MgGroupMemberWithLicenseError: the members of a group whose group-based licenses failed, paged by the engine.
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
    public sealed class GetMgGroupMemberWithLicenseError : GraphListCmdlet
    {
        /// <summary>The unique identifier of group.</summary>
        [Parameter(ParameterSetName = ListSet, Mandatory = true)]
        public string? GroupId { get; set; }

        protected override IReadOnlyList<string> TypeNames => GraphObject.DirectoryObjectTypeNames;

        protected override object? Target => ListParameters(("GroupId", GroupId));

        /// <summary>As the official cmdlet: a directoryObject whose other properties are in AdditionalProperties; ours also carries them as properties.</summary>
        protected override PSObject ToOutput(JsonElement item) => GraphObject.ToDirectoryObject(item, TypeNames);

        protected override void WriteReadFields(JsonWriter json)
        {
            json.WriteString("resource", "groupMembersWithLicenseErrors");
            json.WriteString("groupId", GroupId);
            WriteListFields(json);
        }
    }
}
