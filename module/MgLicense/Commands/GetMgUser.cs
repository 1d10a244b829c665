// Get-MgUser: one user by id or userPrincipalName, or a list with the official cmdlet's query parameters, paged by the engine.
using System.Collections.Generic;
using System.Management.Automation;
using MgLicense.Native;
using MgLicense.Models;

namespace MgLicense.Commands
{
    /// <summary>
    /// <para type="synopsis">Reads users: one by id or userPrincipalName, or a filtered, searched or complete list.</para>
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "MgUser", DefaultParameterSetName = ListSet)]
    [OutputType("Microsoft.Graph.PowerShell.Models.IMicrosoftGraphUser")]
    public sealed class GetMgUser : GraphListCmdlet
    {
        private const string GetSet = "Get";
        private const string IdentitySet = "GetViaIdentity";

        /// <summary>The unique identifier of user.</summary>
        [Parameter(ParameterSetName = GetSet, Mandatory = true)]
        public string? UserId { get; set; }

        /// <summary>Identity Parameter.</summary>
        [Parameter(ParameterSetName = IdentitySet, Mandatory = true, ValueFromPipeline = true)]
        public IUsersIdentity? InputObject { get; set; }

        protected override IReadOnlyList<string> TypeNames => GraphObject.UserTypeNames;

        /// <summary>Users come as the typed model, as from the reprocess cmdlets.</summary>
        protected override PSObject ToOutput(JsonElement item) => User.Reader.ToPSObject(item, TypeNames);

        /// <summary>Read straight from the page's bytes into the model, without a tree in between.</summary>
        private protected override PSObject ToOutput(JsonPage page, int index) => User.Reader.ToPSObject(page, index, TypeNames);

        protected override IUsersActionsIdentity? BoundIdentity => InputObject;

        protected override object? Target =>
            ParameterSetName switch
            {
                GetSet => OperationParameters(("UserId", UserId), ("Headers", Headers)),
                IdentitySet => OperationParameters(("UserId", IdentityUserId(identity)), ("Headers", EffectiveHeaders(Headers, BoundIdentity))),
                _ => ListParameters(),
            };

        /// <summary>The user read, as checked before the read starts.</summary>
        private IdentityInput identity = new IdentityInput(null, null);

        /// <summary>As the reprocess cmdlets: an input whose user is unknown or unusable is reported for it, and nothing is read.</summary>
        protected override ErrorRecord? PrepareInput() =>
            ParameterSetName == ListSet ? null : ReadIdentity(UserId, InputObject, "read", Target, out identity);

        protected override void WriteReadFields(JsonWriter json)
        {
            if (ParameterSetName == ListSet)
            {
                json.WriteString("resource", "users");
            }
            else
            {
                json.WriteString("resource", "user");
                WriteIdentity(json, identity);
            }

            WriteListFields(json);
        }
    }
}
