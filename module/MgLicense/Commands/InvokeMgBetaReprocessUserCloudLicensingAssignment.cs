// Invoke-MgBetaReprocessUserCloudLicensingAssignment: beta POST /users/{id}/cloudLicensing/assignments/reprocessAssignments, which answers with no content.
using System.Collections.Generic;
using System.Management.Automation;
using MgLicense.Native;
using MgLicense.Models;

namespace MgLicense.Commands
{
    /// <summary>Reprocess a user's cloud licensing assignments (beta). Writes nothing, or $true per call with -PassThru.</summary>
    [Cmdlet(VerbsLifecycle.Invoke, "MgBetaReprocessUserCloudLicensingAssignment", DefaultParameterSetName = ReprocessSet,
        SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(bool))]
    public sealed class InvokeMgBetaReprocessUserCloudLicensingAssignment : ReprocessUserCmdlet
    {
        private const string ReprocessSet = "Reprocess";
        private const string ReprocessViaIdentitySet = "ReprocessViaIdentity";

        /// <summary>The unique identifier of user.</summary>
        [Parameter(ParameterSetName = ReprocessSet, Mandatory = true)]
        public string UserId { get; set; } = null!;

        /// <summary>Identity Parameter.</summary>
        [Parameter(ParameterSetName = ReprocessViaIdentitySet, Mandatory = true, ValueFromPipeline = true)]
        public IUsersActionsIdentity InputObject { get; set; } = null!;

        /// <summary>Returns true when the command succeeds.</summary>
        /// <remarks>
        /// A field, not a property, on purpose: PowerShell lists a cmdlet's properties (the derived class's, then the base's
        /// -ResponseHeadersVariable and -Headers) before its fields, so the syntax reads "[-Headers &lt;IDictionary&gt;] [-PassThru]"
        /// as the SDK's does.
        /// </remarks>
        [Parameter]
        public SwitchParameter PassThru;

        protected override string Operation => "betaReprocessCloudLicensingAssignments";

        protected override string CommandName => "Invoke-MgBetaReprocessUserCloudLicensingAssignment";

        protected override string? UserIdValue => ParameterSetName == ReprocessSet ? UserId : null;

        protected override IUsersActionsIdentity? IdentityValue => ParameterSetName == ReprocessViaIdentitySet ? InputObject : null;

        /// <summary>The user -Wait writes is read from beta, so it carries the beta model's name as its siblings' users do.</summary>
        protected override IReadOnlyList<string> UserTypeNames => GraphObject.BetaUserTypeNames;

        /// <summary>Graph answers 200 with no content: as the official SDK, write $true only when asked to.</summary>
        protected override void WriteResult(JsonElement body)
        {
            if (PassThru)
            {
                WriteObject(true);
            }
        }
    }
}
