<#
.SYNOPSIS
    The whole license remediation on one connection: finds the users in license error, fixes the
    causes Microsoft Graph can fix, reprocesses them and waits for the service, and reports what is
    left and what fixes it.

.DESCRIPTION
    For each round, up to -MaxRounds:

      1. find: the members in error of every group with hasMembersWithLicenseErrors
         (Get-MgGroup, Get-MgGroupMemberWithLicenseError), and the users whose direct licenses are
         in error (Get-MgUser -Property licenseAssignmentStates);
      2. fix, for each license in error, what Graph can change (Microsoft's guide to license errors,
         https://learn.microsoft.com/entra/identity/users/licensing-groups-resolve-problems):
           - no usage location: Update-MgUser -UsageLocation (with -UsageLocation);
           - a license not sold in the user's usage location, or one whose plans conflict with a
             plan the user already has: out of the group that assigns it
             (Remove-MgGroupMemberByRef), or the direct license removed (Set-MgUserLicense
             -RemoveLicenses);
           - a direct license with a plan disabled that another plan needs: every plan enabled
             (Set-MgUserLicense -AddLicenses @{ SkuId; DisabledPlans = @() });
           - not enough seats (CountViolation), with -ReclaimFromDisabledAccounts: the seats of that
             license held by disabled accounts are taken back. It finds them with
             Get-MgUser -Filter 'accountEnabled eq false' and removes each license they hold
             directly (Set-MgUserLicense -RemoveLicenses), naming every account it reclaims from;
             a disabled account's licenses from groups are left to the group's owner;
           - a proxy address shared with another object (UniquenessViolation), with
             -ReplaceSharedMail: a user whose mail is another object's proxy address gets its user
             principal name as mail (Update-MgUser -Mail), which Entra makes its primary proxy
             address in place of the shared one; only when no other object has that address;
      3. reprocess every user in error from the pipeline and wait for the service
         (Invoke-MgLicenseUser -Wait), since reprocessing can show an error the first one hid;

    and stops when nobody is in error, or a round would find the errors of the round before. It writes one object per license
    still in error, with what fixes it: seats to buy (CountViolation) and a proxy address shared with
    another object other than as a user's mail (UniquenessViolation) are not Graph's to change, nor is
    a license of a group that lacks a plan another needs. State says whether the license waits for a seat (Error) or is
    assigned despite the error (ActiveWithError).

    Everything goes through one connection (Connect-MgGraph first) with User.ReadWrite.All (or
    LicenseAssignment.ReadWrite.All), GroupMember.ReadWrite.All and Directory.Read.All. -WhatIf shows
    every change and reprocess and makes none.

.EXAMPLE
    ./Repair-LicenseErrors.ps1 -UsageLocation US
    Repairs the tenant, giving users without a usage location US, and lists what is left.

.EXAMPLE
    ./Repair-LicenseErrors.ps1 -UsageLocation US -ReclaimFromDisabledAccounts -ReplaceSharedMail
    Also takes back the seats of disabled accounts for licenses short of seats, and gives a user whose
    mail collides with another object's address its user principal name as mail.

.EXAMPLE
    ./Repair-LicenseErrors.ps1 -WhatIf
    Shows what it would change and reprocess.
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    # The usage location (ISO 3166 two-letter code) given to users in error who have none; without
    # it, they are reported.
    [ValidatePattern('^[A-Za-z]{2}$')]
    [string] $UsageLocation,

    # Most rounds of find, fix and reprocess.
    [ValidateRange(1, 10)]
    [int] $MaxRounds = 3,

    # How long -Wait follows each user after reprocessing, in seconds.
    [ValidateRange(0, 86400)]
    [int] $TimeoutSec = 120,

    # For a license short of seats (CountViolation), remove the licenses of it that disabled accounts
    # (accountEnabled false) hold directly, and so free their seats. Off by default: an admin decides
    # that a disabled account's licenses may go.
    [switch] $ReclaimFromDisabledAccounts,

    # For a user whose mail is also another object's proxy address (UniquenessViolation), set its mail
    # to its user principal name, when no other object has that address. Off by default: it changes
    # the address the user's mail goes to.
    [switch] $ReplaceSharedMail
)

$ErrorActionPreference = 'Stop'
$skuNames = @{}
foreach ($sku in Get-MgSubscribedSku -All) { $skuNames[$sku.SkuId] = $sku.SkuPartNumber }
$groupNames = @{}
$userProperties = 'id', 'userPrincipalName', 'usageLocation', 'licenseAssignmentStates', 'mail', 'proxyAddresses'
# Who has each proxy address (lower case, without smtp:), from the listing of every user.
$addressOwners = @{}

function Get-BareAddress([string] $Address) { ($Address -replace '^smtp:', '').ToLowerInvariant() }

# Whether this user's mail is another object's proxy address and its user principal name is nobody
# else's, so that -ReplaceSharedMail can give it its user principal name as mail.
function Test-SharedMail($User) {
    if (-not $User.Mail) { return $false }
    $mail = Get-BareAddress $User.Mail
    $own = Get-BareAddress $User.UserPrincipalName
    if ($mail -eq $own) { return $false }
    $others = @($addressOwners[$mail] | Where-Object { $_ -ne $User.Id })
    $ownTaken = @($addressOwners[$own] | Where-Object { $_ -ne $User.Id })
    $others.Count -gt 0 -and $ownTaken.Count -eq 0
}

# The users with a license in error, each with its license states.
function Find-UserInError {
    $ids = [ordered]@{}
    foreach ($group in Get-MgGroup -Filter 'hasMembersWithLicenseErrors eq true' -All -Property id, displayName) {
        $groupNames[$group.Id] = $group.DisplayName
        foreach ($member in Get-MgGroupMemberWithLicenseError -GroupId $group.Id -All -Property id) { $ids[$member.Id] = $null }
    }

    # Direct licenses belong to no group: only the users themselves show their errors.
    $addressOwners.Clear()
    foreach ($user in Get-MgUser -All -Property $userProperties) {
        foreach ($address in @($user.ProxyAddresses)) {
            if ($address -notmatch '^smtp:') { continue }
            $bare = Get-BareAddress $address
            if (-not $addressOwners.ContainsKey($bare)) { $addressOwners[$bare] = [System.Collections.Generic.List[string]]::new() }
            $addressOwners[$bare].Add($user.Id)
        }
        if ($user.LicenseAssignmentStates | Where-Object { -not $_.AssignedByGroup -and $_.State -ne 'Active' }) { $ids[$user.Id] = $user }
    }

    foreach ($id in @($ids.Keys)) {
        if ($ids[$id]) { $ids[$id] } else { Get-MgUser -UserId $id -Property $userProperties }
    }
}

# What fixes one license in error: the Graph command that makes the change (its name and parameters,
# and how it reads at a prompt), or, when Graph cannot make it, what to do instead (Reason).
function Get-Fix($User, $State) {
    $license = $skuNames[$State.SkuId]
    $group = $State.AssignedByGroup
    $leave = if ($group) {
        New-Fix Remove-MgGroupMemberByRef @{ GroupId = $group; DirectoryObjectId = $User.Id }
    } else {
        New-Fix Set-MgUserLicense @{ UserId = $User.UserPrincipalName; RemoveLicenses = $State.SkuId }
    }

    switch ($State.Error) {
        'ProhibitedInUsageLocationViolation' {
            if ($User.UsageLocation) { return $leave }
            if ($UsageLocation) { return New-Fix Update-MgUser @{ UserId = $User.UserPrincipalName; UsageLocation = $UsageLocation.ToUpperInvariant() } }
            return @{ Reason = 'give the user a usage location (-UsageLocation)' }
        }
        'MutuallyExclusiveViolation' { return $leave }
        'DependencyViolation' {
            if ($group) { return @{ Reason = "a plan of $license from '$($groupNames[$group])' needs one the group does not enable: change the group's licenses" } }
            return New-Fix Set-MgUserLicense @{ UserId = $User.UserPrincipalName; AddLicenses = @{ SkuId = $State.SkuId; DisabledPlans = @() } }
        }
        'CountViolation' { return @{ Reason = "buy $license seats (Microsoft 365 admin center), or free some$(if (-not $ReclaimFromDisabledAccounts) { ' (-ReclaimFromDisabledAccounts frees those of disabled accounts)' })" } }
        'UniquenessViolation' {
            if (Test-SharedMail $User) {
                if ($ReplaceSharedMail) { return New-Fix Update-MgUser @{ UserId = $User.UserPrincipalName; Mail = $User.UserPrincipalName } }
                return @{ Reason = "its mail $($User.Mail) is another object's address: give it another (-ReplaceSharedMail gives it $($User.UserPrincipalName))" }
            }
            return @{ Reason = 'remove the proxy address it shares with another object (Exchange Online), or change the mail of the other' }
        }
        default { return @{ Reason = 'reprocessing tries it again; if it stays, check the user in the Microsoft Entra admin center' } }
    }
}

function New-Fix([string] $Command, [hashtable] $Parameters) {
    $shown = foreach ($name in $Parameters.Keys | Sort-Object) {
        $value = $Parameters[$name]
        $text = if ($value -is [hashtable]) { '@{ ' + (@($value.Keys | Sort-Object | ForEach-Object { "$_ = $(if ($value[$_] -is [array]) { '@()' } else { "'$($value[$_])'" })" }) -join '; ') + ' }' } else { "$value" }
        "-$name $text"
    }
    @{ Command = $Command; Parameters = $Parameters; Text = "$Command $($shown -join ' ')" }
}

# Makes a change once (-Made holds the changes made), showing it first; a failure is shown, not thrown.
function Invoke-Fix($Fix, $Made, [string] $Why) {
    if (-not $Made.Add($Fix.Text)) { return }
    $Host.UI.WriteLine("  $Why$($Fix.Text)")
    $parameters = $Fix.Parameters
    try { $null = & $Fix.Command @parameters }
    catch {
        $Host.UI.WriteLine("    failed: $($_.Exception.Message)")
        $null = $Made.Remove($Fix.Text)
    }
}

# The licenses in error of these users, each with what fixes it when Graph cannot.
function Get-Left($Users) {
    foreach ($user in $Users) {
        foreach ($state in @($user.LicenseAssignmentStates | Where-Object State -ne 'Active')) {
            $fix = Get-Fix $user $state
            [pscustomobject]@{
                UserPrincipalName = $user.UserPrincipalName
                License           = $skuNames[$state.SkuId]
                Group             = if ($state.AssignedByGroup) { $groupNames[$state.AssignedByGroup] }
                State             = $state.State
                Error             = $state.Error
                Fix               = if ($fix.Reason) { $fix.Reason } else { $fix.Text }
            }
        }
    }
}

$users = @()
$before = $null
for ($round = 1; $round -le $MaxRounds; $round++) {
    $users = @(Find-UserInError)
    $Host.UI.WriteLine("round $round`: $($users.Count) users in license error")
    if ($users.Count -eq 0) { break }

    # The round before changed nothing and reprocessing showed nothing new: another would not either.
    $errors = @(foreach ($user in $users) { foreach ($s in $user.LicenseAssignmentStates) { "$($user.Id) $($s.SkuId) $($s.AssignedByGroup) $($s.State) $($s.Error)" } }) -join "`n"
    if ($errors -ceq $before) { break }
    $before = $errors

    # Fix: each change once (a user leaves a group once, gets one usage location).
    $made = [System.Collections.Generic.HashSet[string]]::new()

    # Seats first: the licenses short of seats, taken back from the disabled accounts that hold them directly.
    $short = @($users | ForEach-Object { $_.LicenseAssignmentStates } | Where-Object Error -eq 'CountViolation' | ForEach-Object SkuId | Sort-Object -Unique)
    if ($ReclaimFromDisabledAccounts -and $short.Count) {
        foreach ($holder in Get-MgUser -Filter 'accountEnabled eq false' -All -Property id, userPrincipalName, licenseAssignmentStates) {
            foreach ($state in @($holder.LicenseAssignmentStates | Where-Object { -not $_.AssignedByGroup -and $_.SkuId -in $short })) {
                $fix = New-Fix Set-MgUserLicense @{ UserId = $holder.UserPrincipalName; RemoveLicenses = $state.SkuId }
                Invoke-Fix $fix $made "reclaiming the $($skuNames[$state.SkuId]) seat of disabled account $($holder.UserPrincipalName): "
            }
        }
    }

    foreach ($user in $users) {
        foreach ($state in @($user.LicenseAssignmentStates | Where-Object State -ne 'Active')) {
            $fix = Get-Fix $user $state
            if (-not $fix.Reason) { Invoke-Fix $fix $made }
        }
    }

    # Reprocess everyone in error, from the pipeline, and wait for the service: reprocessing can show an
    # error that the first one hid, so the next round looks again.
    $reprocessed = @($users | Invoke-MgLicenseUser -Wait -TimeoutSec $TimeoutSec -WarningAction SilentlyContinue)
    $Host.UI.WriteLine("  $($made.Count) changes made, $($reprocessed.Count) users reprocessed")
    if ($WhatIfPreference) { break }
    if ($round -eq $MaxRounds) { $users = @(Find-UserInError) }
}

$left = @(Get-Left $users)
$Host.UI.WriteLine("$(@($left).Count) licenses still in error")
$left
