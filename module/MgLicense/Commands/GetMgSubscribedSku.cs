// Get-MgSubscribedSku: the tenant's subscriptions with their seats (prepaid, consumed) and service plans.
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
    public sealed class GetMgSubscribedSku : GraphListCmdlet
    {
        protected override IReadOnlyList<string> TypeNames => GraphObject.SubscribedSkuTypeNames;

        protected override object? Target => ListParameters();

        protected override void WriteReadFields(JsonWriter json)
        {
            json.WriteString("resource", "subscribedSkus");
            WriteListFields(json);
        }
    }
}
