<#
.SYNOPSIS
    An admin's license repair, from finding the users in error to nobody left in error, run
    against the sample tenant on the local Graph emulator.

.DESCRIPTION
    Starts the Graph emulator (crates/graph-emulator) on examples/tenant/tenant.json (Contoso:
    300 users, 47 of them in license error, see tenant/README.md) and walks through what an admin
    does about it, showing every command at a PS> prompt before it runs, with the output pwsh
    gives it:

      1. connect MgLicense to the tenant;
      2. find the users in license error: the members in error of every group with
         hasMembersWithLicenseErrors, and the users whose direct licenses are in error;
      3. show their license states;
      4. fix the causes, as the remedy table below says;
      5. reprocess them from the pipeline with Invoke-MgLicenseUser;
      6. find them again, since reprocessing can show an error the first one hid, and go round
         again (three rounds at most);
      7. show their license states after;
      8. show that a soft-deleted leaver cannot be reprocessed: Graph answers 404.

    It throws if anyone is left in license error, so it doubles as a check of the module and the
    emulator (./build.sh demo runs it).

    Step 4 is the one an admin does elsewhere: MgLicense reprocesses and reads, but it does not
    change users, groups or subscriptions, which a tenant's admin does in the Microsoft Entra
    admin center (or with Graph writes). The demo makes those changes through the emulator's
    admin API instead, in the section marked "The emulator's part".

.EXAMPLE
    ./build.sh demo

.EXAMPLE
    pwsh -NoProfile -File examples/Invoke-Demo.ps1 -Emulator target/release/graph-emulator -ModuleManifest out/MgLicense/MgLicense.psd1
#>
#Requires -Version 7.4
[CmdletBinding()]
param(
    # The graph-emulator program; by default the release build's in this repository.
    [string] $Emulator = (Join-Path $PSScriptRoot '..' 'target' 'release' "graph-emulator$(if ($IsWindows) { '.exe' })"),

    # The MgLicense module to import; by default the build's in this repository.
    [string] $ModuleManifest = (Join-Path $PSScriptRoot '..' 'out' 'MgLicense' 'MgLicense.psd1')
)

$ErrorActionPreference = 'Stop'
$TenantFile = Join-Path $PSScriptRoot 'tenant' 'tenant.json'

function Write-Step([string] $Message) {
    Write-Host ''
    Write-Host "==> $Message"
}

# Shows a command as typed at pwsh's prompt (PS>, then >> for each further line), runs it, and
# shows its output and errors as pwsh shows them there. Dot-source it (. Invoke-AtPrompt { ... })
# so that the variables the command sets are the script's, as they would be the session's at a
# prompt. It throws when the command fails, or with -ErrorExpected when it does not.
function Invoke-AtPrompt {
    param([Parameter(Mandatory)] $Command, [switch] $ErrorExpected)

    $promptLines = @(("$Command".TrimEnd() -replace '^\s*\n') -split '\r?\n')   # without the blank lines around it
    $promptIndent = ($promptLines | Where-Object { $_.Trim() } | ForEach-Object { $_.Length - $_.TrimStart().Length } | Measure-Object -Minimum).Minimum
    Write-Host ''
    Write-Host "PS> $($promptLines[0].Substring($promptIndent))"
    foreach ($promptLine in $promptLines | Select-Object -Skip 1) {
        Write-Host ">> $(if ($promptLine.Trim()) { $promptLine.Substring($promptIndent) })"
    }

    # Made again from its text, so that an error names the command as typed, not this script's line.
    $promptFailed = $false
    try {
        . ([scriptblock]::Create("$Command")) 2>&1 |
            ForEach-Object { if ($_ -is [System.Management.Automation.ErrorRecord]) { $promptFailed = $true }; $_ } |
            Out-Default
    } catch {
        $promptFailed = $true
        $_ | Out-Default
    }

    if ($promptFailed -and -not $ErrorExpected) { throw "The demo command failed: $Command" }
    if ($ErrorExpected -and -not $promptFailed) { throw "The demo command was expected to fail, and did not: $Command" }
}

# ---- The remedy table: which change cures which license error ------------------------------------
#
# The demo's only copy of it (examples/tenant/README.md points here). The product's own advice for
# the same causes, in words, is the engine's: the -Wait warning about a license still in error
# (crates/mglicense/src/wait.rs, remedy()).
#
# For one license in error of a user (as the emulator's admin view shows them): the cause, what
# to do about it, and the change, one of
#   UsageLocation   give the user a usage location
#   RemoveLicense   take the license away: out of the group that assigns it, or the direct license
#   EnablePlans     enable every plan of the direct license
#   PrimaryAddress  keep only the user's primary SMTP address
#   Seats           buy seats: one for everyone whose license stays assigned and waits for a seat
function Get-Remedy($User, $State, [string] $Sku, [string] $Group) {
    $remove = if ($Group) { "take them out of '$Group'" } else { "remove their direct $Sku" }
    switch ($State.error) {
        'ProhibitedInUsageLocationViolation' {
            if (-not $User.usageLocation) { 'No usage location', 'give them one', 'UsageLocation' }
            else { "$Sku is not sold in their usage location", $remove, 'RemoveLicense' }
        }
        'MutuallyExclusiveViolation' { "$Sku conflicts with a plan they already have", $remove, 'RemoveLicense' }
        'DependencyViolation' {
            if ($Group) { throw "$($User.userPrincipalName): $Sku from '$Group' lacks a plan another one needs; the demo only fixes direct licenses." }
            "A direct $Sku with a plan disabled that another plan needs", 'enable every plan', 'EnablePlans'
        }
        'UniquenessViolation' { 'A proxy address another user also has', 'keep only their primary address', 'PrimaryAddress' }
        'CountViolation' { "Not enough $Sku seats for everyone waiting for one", 'buy them', 'Seats' }
        default { throw "$($User.userPrincipalName): no remedy in the demo for $($State.error) on $Sku." }
    }
}

# ---- The emulator's part: the tenant, and the changes an admin makes in the Entra admin center ----
#
# The admin API (/_emulator/...) is documented in crates/graph-emulator/README.md.

# Starts the emulator on a free loopback port; it stops when this script ends (its stdin closes).
function Start-Emulator([string] $Program, [string] $Seed) {
    $info = [System.Diagnostics.ProcessStartInfo]::new($Program)
    foreach ($argument in '--users', $Seed, '--port', '0', '--exit-on-stdin-eof') { $info.ArgumentList.Add($argument) }
    $info.UseShellExecute = $false
    $info.RedirectStandardInput = $true
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $process = [System.Diagnostics.Process]::Start($info)
    $log = $process.StandardError.ReadToEndAsync()   # for the message if it fails to start
    $firstLine = $process.StandardOutput.ReadLineAsync()
    if (-not $firstLine.Wait(20000) -or -not $firstLine.Result) {
        $process.Kill($true)
        throw "The Graph emulator did not print its URL within 20 seconds: $(if ($log.Wait(1000)) { $log.Result })"
    }

    $null = $process.StandardOutput.BaseStream.CopyToAsync([System.IO.Stream]::Null)   # nothing more is needed; the pipe must not fill
    [pscustomobject]@{ Process = $process; Url = $firstLine.Result.Trim().TrimEnd('/') }
}

function Stop-Emulator($Running) {
    if (-not $Running -or $Running.Process.HasExited) { return }
    try { $Running.Process.StandardInput.Close() } catch { }
    if (-not $Running.Process.WaitForExit(5000)) { $Running.Process.Kill($true) }
}

# One admin call; -Body is JSON, or an object to send as JSON.
function Invoke-EmulatorAdmin([string] $Method, [string] $Path, $Body) {
    $call = @{ Method = $Method; Uri = "$($script:GraphEmulator.Url)/_emulator/$Path"; NoProxy = $true }
    if ($Body) { $call.Body = if ($Body -is [string]) { $Body } else { $Body | ConvertTo-Json -Depth 10 -Compress }; $call.ContentType = 'application/json' }
    Invoke-RestMethod @call
}

# The admin call that makes a change of the remedy table for one license of a user, as its text:
# method, path under /_emulator/, and the JSON body if any.
function Get-AdminCall([string] $Change, $View, $State) {
    $key = [uri]::EscapeDataString($View.user.userPrincipalName).Replace('%40', '@')   # the admin API takes a UPN too, and it reads better
    $licenses = @($View.directLicenses)
    $call = @(switch ($Change) {
        'UsageLocation' { "PATCH users/$key", @{ usageLocation = 'US' } }
        'RemoveLicense' {
            if ($State.assignedByGroup) { "DELETE groups/$($State.assignedByGroup)/members/$key" }
            else { "PATCH users/$key", @{ directLicenses = @($licenses | Where-Object skuId -ne $State.skuId) } }
        }
        'EnablePlans' {
            $enabled = foreach ($license in $licenses) { if ($license.skuId -eq $State.skuId) { [ordered]@{ skuId = $license.skuId; disabledPlans = @() } } else { $license } }
            "PATCH users/$key", @{ directLicenses = @($enabled) }
        }
        'PrimaryAddress' { "PATCH users/$key", @{ proxyAddresses = @($View.user.proxyAddresses | Where-Object { $_ -clike 'SMTP:*' }) } }
    })

    if ($call) { "$($call[0]) $(if ($call.Count -gt 1) { $call[1] | ConvertTo-Json -Depth 10 -Compress })".TrimEnd() }
}

# Cures every license in error of these users as the remedy table says: prints each call under the
# cause it cures (causes in the order first met, each call once), and makes it.
function Repair-LicenseError([string[]] $UserId) {
    $skus = @((Invoke-EmulatorAdmin GET skus).value)
    $groups = @((Invoke-EmulatorAdmin GET groups).value)
    $fixes = [ordered]@{}    # "cause: cure" -> its calls
    $waitingForSeat = @{}    # skuId -> licenses that stay assigned, so will need a seat once their cause is gone
    foreach ($id in $UserId) {
        $view = Invoke-EmulatorAdmin GET "users/$id"
        foreach ($state in @($view.user.licenseAssignmentStates | Where-Object state -ne 'Active')) {
            $sku = ($skus | Where-Object skuId -eq $state.skuId).skuPartNumber
            $group = ($groups | Where-Object id -eq $state.assignedByGroup).displayName
            $cause, $cure, $change = Get-Remedy $view.user $state $sku $group
            $call = Get-AdminCall $change $view $state
            if ($call) {
                if (-not $fixes.Contains("$cause`: $cure")) { $fixes["$cause`: $cure"] = [System.Collections.Generic.List[string]]::new() }
                if (-not $fixes["$cause`: $cure"].Contains($call)) { $fixes["$cause`: $cure"].Add($call) }
            }
            if ($change -ne 'RemoveLicense' -and $state.state -eq 'Error') { $waitingForSeat[$state.skuId] += 1 }
        }
    }

    foreach ($sku in $skus) {
        $needed = $sku.consumedUnits + $waitingForSeat[$sku.skuId]
        if ($needed -gt $sku.prepaidUnits.enabled) {
            $cause, $cure, $null = Get-Remedy $null @{ error = 'CountViolation' } $sku.skuPartNumber
            $fixes["$cause`: $cure"] = "PATCH skus/$($sku.skuPartNumber) $(@{ prepaidUnits = @{ enabled = $needed } } | ConvertTo-Json -Compress)"
        }
    }

    foreach ($fix in $fixes.GetEnumerator()) {
        Write-Host "  $($fix.Key)"
        foreach ($call in $fix.Value) {
            $method, $path, $body = $call -split ' ', 3
            Write-Host "    $method /_emulator/$path $body".TrimEnd()
            $null = Invoke-EmulatorAdmin $method $path $body
        }
    }
}

# ---- The admin's walk --------------------------------------------------------------------------

foreach ($path in $Emulator, $ModuleManifest) {
    if (-not (Test-Path $path)) { throw "$path is missing: build it first (./build.sh build)." }
}

Write-Step "Starting the Graph emulator on $([System.IO.Path]::GetRelativePath($PWD, $TenantFile))"
$script:GraphEmulator = Start-Emulator (Convert-Path $Emulator) $TenantFile
try {
    $url = $GraphEmulator.Url
    # What Connect-MgGraph -Scopes would get from Entra ID in a tenant: a token, here minted by the emulator.
    $token = (Invoke-EmulatorAdmin POST tokens @{ roles = @('User.ReadWrite.All', 'Directory.Read.All') }).access_token |
        ConvertTo-SecureString -AsPlainText -Force
    Write-Host "  emulator at $url; `$token holds a token it minted with User.ReadWrite.All and Directory.Read.All"

    Write-Step 'Connecting MgLicense to the emulator'
    $manifest = [System.IO.Path]::GetRelativePath($PWD, (Convert-Path $ModuleManifest)).Replace('\', '/')
    . Invoke-AtPrompt "Import-Module $(if ([System.IO.Path]::IsPathRooted($manifest)) { $manifest } else { "./$manifest" })"
    . Invoke-AtPrompt "Add-MgEnvironment -Name Emulator -GraphEndpoint $url -AzureADEndpoint $url"
    . Invoke-AtPrompt { Connect-MgGraph -Environment Emulator -AccessToken $token }
    . Invoke-AtPrompt { $skus = @{}; Get-MgSubscribedSku -All | ForEach-Object { $skus[$_.SkuId] = $_.SkuPartNumber } }
    . Invoke-AtPrompt {
        function Get-LicenseState {
            process {
                $user = Get-MgUser -UserId $_ -Property userPrincipalName, licenseAssignmentStates
                foreach ($s in $user.LicenseAssignmentStates) {
                    [pscustomobject]@{ UserPrincipalName = $user.UserPrincipalName; License = $skus[$s.SkuId]; State = $s.State; Error = $s.Error }
                }
            }
        }
    }

    # Reprocessing checks each license again from the start, so it can show an error that the first
    # one hid (a seat that now lets a conflicting plan through, say): find, fix and reprocess until
    # nobody is left in error.
    for ($round = 1; $true; $round++) {
        Write-Step $(if ($round -eq 1) { 'Finding the users with license errors' } else { 'Finding them again (reprocessing can show an error that the first one hid)' })
        . Invoke-AtPrompt { $groups = Get-MgGroup -Filter "hasMembersWithLicenseErrors eq true" -All; $groups.DisplayName }
        . Invoke-AtPrompt { $members = $groups | ForEach-Object { Get-MgGroupMemberWithLicenseError -GroupId $_.Id -All -Property id, userPrincipalName } }
        # Direct licenses belong to no group: only the users themselves show their errors.
        . Invoke-AtPrompt {
            $direct = Get-MgUser -All -Property id, userPrincipalName, licenseAssignmentStates |
                Where-Object { $_.LicenseAssignmentStates | Where-Object { -not $_.AssignedByGroup -and $_.State -ne 'Active' } }
        }
        . Invoke-AtPrompt { $inError = [ordered]@{}; foreach ($user in @($members) + @($direct)) { $inError[$user.Id] = $user.UserPrincipalName }; $inError.Count }
        if ($inError.Count -eq 0) { break }
        if ($round -gt 3) { throw "Users still in license error after $($round - 1) rounds of fixes: $($inError.Values -join ', ')" }

        if ($round -eq 1) {
                . Invoke-AtPrompt {
                $everyone = @($inError.Keys)
                $before = $everyone | Get-LicenseState
                $before | Sort-Object Error, UserPrincipalName | Format-Table UserPrincipalName, License, State -GroupBy Error
            }
        } else {
            . Invoke-AtPrompt { $inError.Keys | Get-LicenseState | Where-Object State -ne Active | Format-Table UserPrincipalName, License, Error }
        }

        Write-Step "Fixing the causes (the emulator's admin API here; in a tenant, the Entra admin center)"
        Repair-LicenseError @($inError.Keys)

        Write-Step 'Reprocessing them from the pipeline'
        . Invoke-AtPrompt { $reprocessed = $inError.Keys | Invoke-MgLicenseUser; "$(@($reprocessed).Count) users reprocessed" }
    }

    Write-Step 'Their license states after'
    . Invoke-AtPrompt {
        $after = $everyone | Get-LicenseState
        $after | Sort-Object Error, UserPrincipalName | Format-Table UserPrincipalName, License, State -GroupBy Error
    }
    . Invoke-AtPrompt { @(Get-MgGroup -Filter "hasMembersWithLicenseErrors eq true" -All).Count }
    $left = @($after | Where-Object State -ne 'Active')
    if ($left.Count -gt 0) { throw "$($left.Count) licenses are not Active after the fixes." }
    $groupsLeft = @(Get-MgGroup -Filter 'hasMembersWithLicenseErrors eq true' -All)
    if ($groupsLeft.Count -gt 0) { throw "Groups still with members in license error after the fixes: $($groupsLeft.DisplayName -join ', ')" }

    Write-Step 'A leaver (soft-deleted) cannot be reprocessed: Graph answers 404'
    $leaver = @((Invoke-EmulatorAdmin GET users).value | Where-Object deleted)[0].userPrincipalName
    . Invoke-AtPrompt "Invoke-MgLicenseUser -UserId $leaver" -ErrorExpected
} finally {
    if (Get-Command Disconnect-MgGraph -ErrorAction Ignore) { $null = Disconnect-MgGraph -ErrorAction Ignore }
    Stop-Emulator $GraphEmulator
}
