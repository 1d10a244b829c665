// Get-MgSubscribedSku: the tenant's subscriptions with their seats (prepaid, consumed) and service plans, or one of them.
using System.Collections.Generic;
using System.Management.Automation;
using MgLicense.Native;
using MgLicense.Models;

namespace MgLicense.Commands
{
    /// <summary>
    /// <para type="synopsis">Reads the tenant's subscribed SKUs: part numbers, seats bought and used, and service plans.</para>
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "MgSubscribedSku", DefaultParameterSetName = ListSet)]
    [OutputType("Microsoft.Graph.PowerShell.Models.IMicrosoftGraphSubscribedSku")]
    public sealed class GetMgSubscribedSku : GraphSkipListCmdlet
    {
        private const string GetSet = "Get";
        private const string IdentitySet = "GetViaIdentity";

        /// <summary>The unique identifier of subscribedSku.</summary>
        [Parameter(ParameterSetName = GetSet, Mandatory = true)]
        public string? SubscribedSkuId { get; set; }

        /// <summary>Identity Parameter.</summary>
        [Parameter(ParameterSetName = IdentitySet, Mandatory = true, ValueFromPipeline = true)]
        public IIdentityDirectoryManagementIdentity? InputObject { get; set; }

        /// <summary>The SKU an -InputObject names, as read before the read starts.</summary>
        private string? identitySkuId;

        protected override IUsersActionsIdentity? BoundIdentity => InputObject;

        protected override IReadOnlyList<string> TypeNames => GraphObject.SubscribedSkuTypeNames;

        protected override object? Target =>
            ParameterSetName switch
            {
                GetSet => OperationParameters(("SubscribedSkuId", SubscribedSkuId), ("Headers", Headers)),
                IdentitySet => OperationParameters(("SubscribedSkuId", identitySkuId), ("Headers", EffectiveHeaders(Headers, BoundIdentity))),
                _ => ListParameters(),
            };

        protected override ErrorRecord? PrepareInput()
        {
            identitySkuId = null;
            return ParameterSetName == IdentitySet ? ReadIdentityKey(InputObject, "SubscribedSkuId", out identitySkuId) : null;
        }

        protected override void WriteReadFields(JsonWriter json)
        {
            if (ParameterSetName == ListSet)
            {
                json.WriteString("resource", "subscribedSkus");
            }
            else
            {
                json.WriteString("resource", "subscribedSku");
                json.WriteString("subscribedSkuId", ParameterSetName == GetSet ? SubscribedSkuId : identitySkuId);
            }

            WriteListFields(json);
        }
    }
}
