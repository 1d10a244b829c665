<#
.SYNOPSIS
    Reprocesses the group-based licenses of a list of users and reports each outcome.

.DESCRIPTION
    The runbook pattern admins use after fixing the cause of a license error (a usage
    location, free seats, a conflicting plan): one Invoke-MgLicenseUser call per user, each
    inside try/catch so one failure does not stop the rest, and a summary at the end.

    It expects a connection (Connect-MgGraph) and prints one line per user. Run it against
    the local emulator with `./build.sh demo`, or against a tenant after Connect-MgGraph.

.EXAMPLE
    ./Invoke-LicenseReprocessing.ps1 -UserId adele@contoso.com, alex@contoso.com

.EXAMPLE
    ./Invoke-LicenseReprocessing.ps1 -UserId (Get-Content users.txt) -WhatIf
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    # Object ids or userPrincipalNames of the users to reprocess.
    [Parameter(Mandatory)]
    [string[]] $UserId
)

$done = 0
$failed = 0
foreach ($id in $UserId) {
    if (-not $PSCmdlet.ShouldProcess($id, 'Reprocess group-based licenses')) { continue }
    try {
        $user = Invoke-MgLicenseUser -UserId $id -ErrorAction Stop -Confirm:$false
        $done++
        $Host.UI.WriteLine("reprocessed  $($user.UserPrincipalName)")
    }
    catch {
        $failed++
        # The ErrorId is Graph's error code: branch on it, never on the message.
        $code = $_.FullyQualifiedErrorId.Split(',')[0]
        $Host.UI.WriteLine("failed       $id  ($code)")
    }
}
$Host.UI.WriteLine("$done reprocessed, $failed failed")
