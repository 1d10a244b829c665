<#
.SYNOPSIS
    Reprocesses the users named by userPrincipalName, looking each one up first.

.DESCRIPTION
    The pattern of runbooks fed a list of UPNs (a CSV export, a ticket): Get-MgUser -Filter
    "userPrincipalName eq '...'" to find the user, then Invoke-MgLicenseUser with its id. A UPN
    that names nobody is reported and skipped; a single quote in a UPN is doubled, as OData
    string literals require.

    It expects a connection (Connect-MgGraph) with User.ReadWrite.All.

.EXAMPLE
    ./Invoke-ReprocessByUpn.ps1 -UserPrincipalName adele@contoso.com, "patrick.o'brien@contoso.com"

.EXAMPLE
    ./Invoke-ReprocessByUpn.ps1 -UserPrincipalName (Get-Content upns.txt) -WhatIf
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [Parameter(Mandatory)]
    [string[]] $UserPrincipalName
)

$done = 0
$missing = 0
$failed = 0
foreach ($upn in $UserPrincipalName) {
    $literal = $upn.Replace("'", "''")
    $user = Get-MgUser -Filter "userPrincipalName eq '$literal'" -Property id, userPrincipalName
    if (-not $user) {
        $missing++
        $Host.UI.WriteLine("not found    $upn")
        continue
    }
    if (-not $PSCmdlet.ShouldProcess($upn, 'Reprocess group-based licenses')) { continue }
    try {
        Invoke-MgLicenseUser -UserId $user.Id -ErrorAction Stop -Confirm:$false | Out-Null
        $done++
        $Host.UI.WriteLine("reprocessed  $upn")
    }
    catch {
        $failed++
        $Host.UI.WriteLine("failed       $upn  ($($_.FullyQualifiedErrorId.Split(',')[0]))")
    }
}
$Host.UI.WriteLine("$done reprocessed, $missing not found, $failed failed")
