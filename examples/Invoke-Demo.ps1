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
      4. run the remediation runbook (Repair-LicenseErrors.ps1) on the same connection: it fixes
         every cause with Graph calls (Update-MgUser -UsageLocation, Remove-MgGroupMemberByRef,
         Set-MgUserLicense), and, as the admin chooses with its two switches, takes back the E3
         seats that disabled accounts of departed staff still hold (-ReclaimFromDisabledAccounts:
         Set-MgUserLicense -RemoveLicenses, each account named) and gives the users whose mail is
         another user's address their own address as mail (-ReplaceSharedMail: Update-MgUser
         -Mail); it reprocesses the users with Invoke-MgLicenseUser -Wait and goes round again,
         since reprocessing can show an error the first one hid, until nobody is in error;
      5. show their license states after;
      6. show that a soft-deleted leaver cannot be reprocessed: Graph answers 404.

    It throws if anyone is left in license error, so it doubles as a check of the module and the
    emulator (./build.sh demo runs it).

    Every change is a Graph call made by MgLicense's cmdlets, as in a real tenant: no seat is
    bought and no mailbox changed outside Graph. The demo signs in as an unattended runbook does,
    with an app's client secret (Connect-MgGraph -ClientSecretCredential, against the emulator's
    Entra ID token endpoint). The emulator's admin API is called once, before the repair, to
    register that app with its application permissions (Register-EmulatorApp), as an admin does
    once in the Entra admin center.

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

# ---- The emulator's part: the tenant and the app registration ----
#
# The admin API is documented in crates/graph-emulator/README.md.

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

# The one admin call: the app the demo signs in as, with a new client secret and these application
# permissions granted, as an admin registers it in the Entra admin center. Gives its credential.
function Register-EmulatorApp([string] $AppId, [string[]] $Roles) {
    $secret = [Convert]::ToBase64String([System.Security.Cryptography.RandomNumberGenerator]::GetBytes(30))
    $call = @{ Method = 'POST'; Uri = "$($script:GraphEmulator.Url)/_emulator/apps"; NoProxy = $true; ContentType = 'application/json'
        Body = @{ appId = $AppId; displayName = 'License repair'; secrets = @(@{ value = $secret }); roles = $Roles } | ConvertTo-Json -Compress }
    $null = Invoke-RestMethod @call
    [pscredential]::new($AppId, (ConvertTo-SecureString $secret -AsPlainText -Force))
}

# ---- The admin's walk --------------------------------------------------------------------------

foreach ($path in $Emulator, $ModuleManifest) {
    if (-not (Test-Path $path)) { throw "$path is missing: build it first (./build.sh build)." }
}

Write-Step "Starting the Graph emulator on $([System.IO.Path]::GetRelativePath($PWD, $TenantFile))"
$script:GraphEmulator = Start-Emulator (Convert-Path $Emulator) $TenantFile
try {
    $url = $GraphEmulator.Url
    # The app a runbook signs in as, registered once by an admin; $credential holds its id and client secret.
    $tenantId = (Get-Content -Raw $TenantFile | ConvertFrom-Json).tenantId
    $credential = Register-EmulatorApp 'b6f1c2d3-4e5a-4b6c-8d7e-9f0a1b2c3d4e' 'User.ReadWrite.All', 'GroupMember.ReadWrite.All', 'Directory.Read.All'
    Write-Host "  emulator at $url; app $($credential.UserName) registered with User.ReadWrite.All, GroupMember.ReadWrite.All and Directory.Read.All; `$credential holds its client secret"

    Write-Step 'Connecting MgLicense to the emulator'
    $manifest = [System.IO.Path]::GetRelativePath($PWD, (Convert-Path $ModuleManifest)).Replace('\', '/')
    . Invoke-AtPrompt "Import-Module $(if ([System.IO.Path]::IsPathRooted($manifest)) { $manifest } else { "./$manifest" })"
    . Invoke-AtPrompt "Add-MgEnvironment -Name Emulator -GraphEndpoint $url -AzureADEndpoint $url"
    . Invoke-AtPrompt "Connect-MgGraph -Environment Emulator -TenantId $tenantId -ClientSecretCredential `$credential -NoWelcome"
    . Invoke-AtPrompt { Get-MgContext | Format-List AuthType, ClientId, TenantId, Scopes }
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

    Write-Step 'Finding the users with license errors'
    . Invoke-AtPrompt { $groups = Get-MgGroup -Filter "hasMembersWithLicenseErrors eq true" -All; $groups.DisplayName }
    . Invoke-AtPrompt { $members = $groups | ForEach-Object { Get-MgGroupMemberWithLicenseError -GroupId $_.Id -All -Property id, userPrincipalName } }
    # Direct licenses belong to no group: only the users themselves show their errors.
    . Invoke-AtPrompt {
        $direct = Get-MgUser -All -Property id, userPrincipalName, licenseAssignmentStates |
            Where-Object { $_.LicenseAssignmentStates | Where-Object { -not $_.AssignedByGroup -and $_.State -ne 'Active' } }
    }
    . Invoke-AtPrompt { $inError = [ordered]@{}; foreach ($user in @($members) + @($direct)) { $inError[$user.Id] = $user.UserPrincipalName }; $inError.Count }
    if ($inError.Count -eq 0) { throw 'The sample tenant has nobody in license error.' }
    . Invoke-AtPrompt {
        $everyone = @($inError.Keys)
        $before = $everyone | Get-LicenseState
        $before | Sort-Object Error, UserPrincipalName | Format-Table UserPrincipalName, License, State -GroupBy Error
    }

    # The runbook fixes every cause with Graph calls and reprocesses, round after round. The two switches
    # are the admin's choice: take back the E3 seats that disabled accounts still hold, and give a user
    # whose mail is another object's address their own address as mail.
    $runbook = [System.IO.Path]::GetRelativePath($PWD, (Join-Path $PSScriptRoot 'Repair-LicenseErrors.ps1')).Replace('\', '/')
    if (-not [System.IO.Path]::IsPathRooted($runbook) -and -not $runbook.StartsWith('.')) { $runbook = "./$runbook" }
    Write-Step 'Repairing with Graph calls only: the remediation runbook, on this connection'
    . Invoke-AtPrompt "`$left = $runbook -UsageLocation US -ReclaimFromDisabledAccounts -ReplaceSharedMail -MaxRounds 5 -TimeoutSec 5; `$left | Format-Table UserPrincipalName, License, Error -GroupBy Fix"
    if (@($left).Count -gt 0) { throw "Licenses still in error after the runbook: $(@($left | ForEach-Object { "$($_.UserPrincipalName) $($_.License) $($_.Error)" }) -join '; ')" }

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
    $leaver = @((Get-Content -Raw $TenantFile | ConvertFrom-Json).users | Where-Object deletedDateTime)[0].userPrincipalName
    . Invoke-AtPrompt "Invoke-MgLicenseUser -UserId $leaver" -ErrorExpected
} finally {
    if (Get-Command Disconnect-MgGraph -ErrorAction Ignore) { $null = Disconnect-MgGraph -ErrorAction Ignore }
    Stop-Emulator $GraphEmulator
}
