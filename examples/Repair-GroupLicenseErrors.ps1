<#
.SYNOPSIS
    Finds every member of a group whose licenses from that group failed, reprocesses each one,
    and checks the result.

.DESCRIPTION
    The pattern of public license runbooks: Get-MgGroupMemberWithLicenseError -All for the group
    (or for every group that has members with license errors), Invoke-MgLicenseUser for each
    member inside try/catch so one failure does not stop the rest, then, because reprocessing is
    asynchronous on the service, a pause and Get-MgUser -Property licenseAssignmentStates to see
    which licenses are still in error.

    It expects a connection (Connect-MgGraph) with User.ReadWrite.All and Group.Read.All (or
    Directory.Read.All), and prints one line per user.

.EXAMPLE
    ./Repair-GroupLicenseErrors.ps1 -GroupId a1f3c9e2-5d7b-4f60-8e21-3b9c7d4a6f10

.EXAMPLE
    ./Repair-GroupLicenseErrors.ps1 -SettleSeconds 60
    Every group with members in error, then a minute for the service to process them.
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    # Groups to repair; by default every group with members whose licenses are in error.
    [string[]] $GroupId,

    # How long to give the service before checking the result.
    [int] $SettleSeconds = 30
)

if (-not $GroupId) {
    $GroupId = @(Get-MgGroup -Filter 'hasMembersWithLicenseErrors eq true' -All -Property id | ForEach-Object { $_.Id })
}

$reprocessed = [System.Collections.Generic.List[string]]::new()
$failed = 0
foreach ($group in $GroupId) {
    $members = @(Get-MgGroupMemberWithLicenseError -GroupId $group -All)
    $Host.UI.WriteLine("group $group`: $($members.Count) members with license errors")
    foreach ($member in $members) {
        if ($reprocessed.Contains($member.Id)) { continue }
        if (-not $PSCmdlet.ShouldProcess($member.Id, 'Reprocess group-based licenses')) { continue }
        try {
            Invoke-MgLicenseUser -UserId $member.Id -ErrorAction Stop -Confirm:$false | Out-Null
            $reprocessed.Add($member.Id)
        }
        catch {
            $failed++
            $Host.UI.WriteLine("failed    $($member.Id)  ($($_.FullyQualifiedErrorId.Split(',')[0]))")
        }
    }
}

if ($reprocessed.Count -gt 0 -and $SettleSeconds -gt 0) {
    [System.Threading.Thread]::Sleep([TimeSpan]::FromSeconds($SettleSeconds))
}

$stillInError = 0
foreach ($id in $reprocessed) {
    $user = Get-MgUser -UserId $id -Property id, userPrincipalName, licenseAssignmentStates
    $errors = @($user.LicenseAssignmentStates | Where-Object { $_.State -eq 'Error' })
    if ($errors.Count -gt 0) {
        $stillInError++
        $Host.UI.WriteLine("in error  $($user.UserPrincipalName)  ($(($errors | ForEach-Object { $_.Error }) -join ', '))")
    }
    else {
        $Host.UI.WriteLine("fixed     $($user.UserPrincipalName)")
    }
}
$Host.UI.WriteLine("$($reprocessed.Count) reprocessed, $failed failed, $stillInError still in error")
