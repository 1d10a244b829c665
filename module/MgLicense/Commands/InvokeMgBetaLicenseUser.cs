// Invoke-MgBetaLicenseUser: Invoke-MgLicenseUser against Graph's beta version, as the official beta module (Microsoft.Graph.Beta.Users.Actions) names it.
using System.Collections.Generic;
using System.Management.Automation;
using MgLicense.Models;

namespace MgLicense.Commands
{
    /// <summary>Reprocess all group-based license assignments for the user (beta).</summary>
    [Cmdlet(VerbsLifecycle.Invoke, "MgBetaLicenseUser", DefaultParameterSetName = InvokeMgLicenseUser.LicenseSet,
        SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType("Microsoft.Graph.Beta.PowerShell.Models.IMicrosoftGraphUser")]
    public sealed class InvokeMgBetaLicenseUser : ReprocessUserCmdlet
    {
        /// <summary>The unique identifier of user.</summary>
        [Parameter(ParameterSetName = InvokeMgLicenseUser.LicenseSet, Mandatory = true)]
        public string UserId { get; set; } = null!;

        /// <summary>Identity Parameter.</summary>
        [Parameter(ParameterSetName = InvokeMgLicenseUser.LicenseViaIdentitySet, Mandatory = true, ValueFromPipeline = true)]
        public IUsersActionsIdentity InputObject { get; set; } = null!;

        protected override string Operation => "betaReprocessLicenseAssignment";

        protected override string CommandName => "Invoke-MgBetaLicenseUser";

        protected override string? UserIdValue => ParameterSetName == InvokeMgLicenseUser.LicenseSet ? UserId : null;

        protected override IUsersActionsIdentity? IdentityValue =>
            ParameterSetName == InvokeMgLicenseUser.LicenseViaIdentitySet ? InputObject : null;

        protected override IReadOnlyList<string> UserTypeNames => GraphObject.BetaUserTypeNames;
    }
}
