// Invoke-MgLicenseUser: the drop-in for the official cmdlet; it declares the official parameter sets and leaves the rest to ReprocessUserCmdlet and every Graph rule to the engine.
using System.Management.Automation;
using MgLicense.Models;

namespace MgLicense.Commands
{
    /// <summary>
    /// Reprocess all group-based license assignments for the user (v1.0).
    /// </summary>
    /// <remarks>
    /// The official module generates one class per parameter set, so its error ids read
    /// "&lt;code&gt;,Microsoft.Graph.PowerShell.Cmdlets.InvokeMgLicenseUser_License". This module has one class
    /// per cmdlet, so they read "&lt;code&gt;,MgLicense.Commands.InvokeMgLicenseUser": scripts that match on the
    /// code before the comma behave the same.
    /// </remarks>
    [Cmdlet(VerbsLifecycle.Invoke, "MgLicenseUser", DefaultParameterSetName = LicenseSet,
        SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType("Microsoft.Graph.PowerShell.Models.IMicrosoftGraphUser")]
    public sealed class InvokeMgLicenseUser : ReprocessUserCmdlet
    {
        internal const string LicenseSet = "License";
        internal const string LicenseViaIdentitySet = "LicenseViaIdentity";

        /// <summary>The unique identifier of user.</summary>
        [Parameter(ParameterSetName = LicenseSet, Mandatory = true)]
        public string UserId { get; set; } = null!;

        /// <summary>Identity Parameter: a hashtable, object or user id string whose keys are handed to the engine as they are.</summary>
        [Parameter(ParameterSetName = LicenseViaIdentitySet, Mandatory = true, ValueFromPipeline = true)]
        public IUsersActionsIdentity InputObject { get; set; } = null!;

        protected override string Operation => "reprocessLicenseAssignment";

        protected override string CommandName => "Invoke-MgLicenseUser";

        protected override string? UserIdValue => ParameterSetName == LicenseSet ? UserId : null;

        protected override IUsersActionsIdentity? IdentityValue => ParameterSetName == LicenseViaIdentitySet ? InputObject : null;
    }
}
