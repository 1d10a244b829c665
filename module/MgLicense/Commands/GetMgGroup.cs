// Get-MgGroup: one group by id or identity object, or a list (hasMembersWithLicenseErrors eq true is the filter license runbooks use), paged by the engine.
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
    public sealed class GetMgGroup : GraphSkipListCmdlet
    {
        private const string GetSet = "Get";
        private const string IdentitySet = "GetViaIdentity";

        /// <summary>The unique identifier of group.</summary>
        [Parameter(ParameterSetName = GetSet, Mandatory = true)]
        public string? GroupId { get; set; }

        /// <summary>Identity Parameter.</summary>
        [Parameter(ParameterSetName = IdentitySet, Mandatory = true, ValueFromPipeline = true)]
        public IGroupsIdentity? InputObject { get; set; }

        /// <summary>The group an -InputObject names, as read before the read starts.</summary>
        private string? identityGroupId;

        protected override IUsersActionsIdentity? BoundIdentity => InputObject;

        protected override IReadOnlyList<string> TypeNames => GraphObject.GroupTypeNames;

        protected override object? Target =>
            ParameterSetName switch
            {
                GetSet => OperationParameters(("GroupId", GroupId), ("Headers", Headers)),
                IdentitySet => OperationParameters(("GroupId", identityGroupId), ("Headers", EffectiveHeaders(Headers, BoundIdentity))),
                _ => ListParameters(),
            };

        protected override ErrorRecord? PrepareInput()
        {
            identityGroupId = null;
            return ParameterSetName == IdentitySet ? ReadIdentityKey(InputObject, "GroupId", out identityGroupId) : null;
        }

        protected override void WriteReadFields(JsonWriter json)
        {
            if (ParameterSetName == ListSet)
            {
                json.WriteString("resource", "groups");
            }
            else
            {
                json.WriteString("resource", "group");
                json.WriteString("groupId", ParameterSetName == GetSet ? GroupId : identityGroupId);
            }

            WriteListFields(json);
        }
    }
}
