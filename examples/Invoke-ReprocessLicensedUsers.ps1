<#
.SYNOPSIS
    Reprocesses every licensed user of the tenant, at the pace the tenant's throttle allows.

.DESCRIPTION
    The pattern of runbooks that re-evaluate everyone after a tenant-wide fix (seats bought, a
    conflicting plan removed): an advanced query for the users with at least one license, which
    needs -ConsistencyLevel eventual, with -CountVariable to say how many there are, piped into
    Invoke-MgLicenseUser. The pipeline sends several calls at once and follows the tenant's
    throttle, so thousands of users take minutes, not hours; each user gives one result or one
    error, in order.

    It expects a connection (Connect-MgGraph) with User.ReadWrite.All.

.EXAMPLE
    ./Invoke-ReprocessLicensedUsers.ps1

.EXAMPLE
    ./Invoke-ReprocessLicensedUsers.ps1 -Wait
    Waits for the service to process each user and warns about licenses still in error.
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    # Follow each user until the service has processed it (MgLicense's -Wait).
    [switch] $Wait
)

$users = Get-MgUser -Filter 'assignedLicenses/$count ne 0' -ConsistencyLevel eventual -CountVariable licensed -All -Property id, userPrincipalName
$Host.UI.WriteLine("$licensed licensed users")

$errors = @()
$done = @($users | Invoke-MgLicenseUser -Wait:$Wait -ErrorVariable +errors -ErrorAction SilentlyContinue).Count
$Host.UI.WriteLine("$done reprocessed, $($errors.Count) failed")
