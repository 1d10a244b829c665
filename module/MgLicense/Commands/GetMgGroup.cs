// Get-MgGroup: one group by id, or a list (hasMembersWithLicenseErrors eq true is the filter license runbooks use), paged by the engine.
using System.Collections.Generic;
using System.Management.Automation;
using MgLicense.Native;
using MgLicense.Models;

namespace MgLicense.Commands
{
    /// <summary>
    /// <para type="synopsis">Reads groups: one by id, or a filtered, searched or complete list.</para>
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "MgGroup", DefaultParameterSetName = ListSet)]
    [OutputType("Microsoft.Graph.PowerShell.Models.IMicrosoftGraphGroup")]
    public sealed class GetMgGroup : GraphListCmdlet
    {
        private const string GetSet = "Get";

        /// <summary>The unique identifier of group.</summary>
        [Parameter(ParameterSetName = GetSet, Mandatory = true)]
        public string? GroupId { get; set; }

        protected override IReadOnlyList<string> TypeNames => GraphObject.GroupTypeNames;

        protected override object? Target => ParameterSetName == GetSet ? OperationParameters(("GroupId", GroupId), ("Headers", Headers)) : ListParameters();

        protected override void WriteReadFields(JsonWriter json)
        {
            if (ParameterSetName == ListSet)
            {
                json.WriteString("resource", "groups");
            }
            else
            {
                json.WriteString("resource", "group");
                json.WriteString("groupId", GroupId);
            }

            WriteListFields(json);
        }
    }
}
