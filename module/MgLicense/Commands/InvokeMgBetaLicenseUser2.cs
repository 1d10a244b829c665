// Invoke-MgBetaLicenseUser2: the draft beta action reprocessLicenseAssignment2, for a user or, with -Me, the signed-in user; the engine unwraps the {"value": …} envelope.
using System.Collections.Generic;
using System.Management.Automation;
using MgLicense.Models;

namespace MgLicense.Commands
{
    /// <summary>Reprocess the group-based license assignments of a user or of the signed-in user (draft beta action).</summary>
    [Cmdlet(VerbsLifecycle.Invoke, "MgBetaLicenseUser2", DefaultParameterSetName = InvokeMgLicenseUser.LicenseSet,
        SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType("Microsoft.Graph.Beta.PowerShell.Models.IMicrosoftGraphUser")]
    public sealed class InvokeMgBetaLicenseUser2 : ReprocessUserCmdlet
    {
        private const string MeSet = "Me";

        /// <summary>The unique identifier of user.</summary>
        [Parameter(ParameterSetName = InvokeMgLicenseUser.LicenseSet, Mandatory = true)]
        public string UserId { get; set; } = null!;

        /// <summary>Identity Parameter.</summary>
        [Parameter(ParameterSetName = InvokeMgLicenseUser.LicenseViaIdentitySet, Mandatory = true, ValueFromPipeline = true)]
        public IUsersActionsIdentity InputObject { get; set; } = null!;

        /// <summary>Reprocess the signed-in user (/me); needs a delegated token.</summary>
        [Parameter(ParameterSetName = MeSet, Mandatory = true)]
        public SwitchParameter Me { get; set; }

        protected override string Operation => "betaReprocessLicenseAssignment2";

        protected override string CommandName => "Invoke-MgBetaLicenseUser2";

        protected override string? UserIdValue => ParameterSetName == InvokeMgLicenseUser.LicenseSet ? UserId : null;

        protected override IUsersActionsIdentity? IdentityValue =>
            ParameterSetName == InvokeMgLicenseUser.LicenseViaIdentitySet ? InputObject : null;

        protected override bool CallsMe => ParameterSetName == MeSet;

        protected override IReadOnlyList<string> UserTypeNames => GraphObject.BetaUserTypeNames;
    }
}
