# The runbooks in examples/ run unchanged against the test tenant, as an admin runs them after Connect-MgGraph,
# and are checked by what the tenant looks like afterwards: who was reprocessed, exactly once.

BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Emulator = Start-TestEmulator

    # Every user's reprocess count, from the emulator's admin view.
    function Get-ReprocessCount {
        $counts = @{}
        foreach ($user in (Invoke-EmulatorAdmin GET users).value) { $counts[$user.id] = [long] $user.reprocessCount }
        $counts
    }

    # Who was reprocessed how often between two Get-ReprocessCount: id -> count, for the users whose count moved.
    function Get-Reprocessed($Before, $After) {
        $moved = @{}
        foreach ($id in $After.Keys) {
            $was = if ($Before.ContainsKey($id)) { $Before[$id] } else { 0 }
            if ($After[$id] -ne $was) { $moved[$id] = $After[$id] - $was }
        }
        $moved
    }

    # Runs a runbook as an admin does: a pwsh of its own, in the repository's root, connected with -Token,
    # then the command line as typed. Gives the lines its console showed and who was reprocessed how often;
    # throws if the runbook wrote an error or failed.
    function Invoke-Runbook([string] $Token, [string] $CommandLine) {
        $script = @'
$runbookErrors = [System.Collections.Generic.List[object]]::new()
& { COMMAND_LINE } 2>&1 | ForEach-Object { if ($_ -is [System.Management.Automation.ErrorRecord]) { $runbookErrors.Add($_) } else { $_ } }
if ($runbookErrors.Count) { $runbookErrors | ForEach-Object { "runbook error: $_" }; exit 3 }
'@.Replace('COMMAND_LINE', $CommandLine)

        $before = Get-ReprocessCount
        $lines = @(Invoke-ChildPwsh $script -Token $Token -WorkingDirectory $RepoRoot)
        if ($LASTEXITCODE -ne 0) { throw "$CommandLine failed (exit code $LASTEXITCODE):`n$($lines -join "`n")" }
        [pscustomobject]@{ Lines = $lines; Reprocessed = Get-Reprocessed $before (Get-ReprocessCount) }
    }

    # The runbook reprocessed exactly these users, each once.
    function Assert-ReprocessedOnce($Run, [string[]] $UserId) {
        Join-Sorted $Run.Reprocessed.Keys | Should -BeExactly (Join-Sorted $UserId)
        foreach ($count in $Run.Reprocessed.Values) { $count | Should -Be 1 }
    }
}

AfterAll { Stop-TestEmulator $script:Emulator }

Describe 'The example runbooks' {
    BeforeEach { $script:Token = New-TestToken User.ReadWrite.All, Directory.Read.All }

    It 'Repair-GroupLicenseErrors.ps1 reprocesses each group member in error once, and checks them' {
        $groups = @(Get-GraphList $Token '/v1.0/groups?$filter=hasMembersWithLicenseErrors%20eq%20true' | ForEach-Object { $_.id })
        $members = @($groups | ForEach-Object { Get-GraphList $Token "/v1.0/groups/$_/membersWithLicenseErrors" } | ForEach-Object { $_.id } | Sort-Object -Unique -CaseSensitive)
        $members.Count | Should -BeGreaterThan 0

        $run = Invoke-Runbook $Token './examples/Repair-GroupLicenseErrors.ps1 -SettleSeconds 0'

        Assert-ReprocessedOnce $run $members
        $summary = $run.Lines -join "`n"
        $summary | Should -MatchExactly ([regex]::Escape("$($members.Count) reprocessed, 0 failed"))
        # Nothing in the test tenant fixes these users' causes, so the check after reprocessing finds them still in error.
        $summary | Should -MatchExactly ([regex]::Escape("$($members.Count) still in error"))
    }

    It 'Invoke-ReprocessByUpn.ps1 looks each UPN up, reprocesses it, and skips a missing one' {
        $upns = 'AdeleV@contoso.com', "patrick.o'brien@contoso.com", 'nobody@contoso.com'
        $expected = @($TestUsers | Where-Object { $upns -ccontains $_.userPrincipalName } | ForEach-Object { $_.id })
        $expected.Count | Should -Be 2

        $run = Invoke-Runbook $Token "./examples/Invoke-ReprocessByUpn.ps1 -UserPrincipalName 'AdeleV@contoso.com', 'patrick.o''brien@contoso.com', 'nobody@contoso.com'"

        Assert-ReprocessedOnce $run $expected
        $run.Lines -join "`n" | Should -MatchExactly ([regex]::Escape('2 reprocessed, 1 not found, 0 failed'))
    }

    It 'Invoke-ReprocessLicensedUsers.ps1 reprocesses every licensed user once, and counts them' {
        $licensed = @(Get-GraphList $Token '/v1.0/users?$select=id,assignedLicenses' | Where-Object { @($_.assignedLicenses).Count -gt 0 } | ForEach-Object { $_.id })
        $licensed.Count | Should -BeGreaterThan 0

        $run = Invoke-Runbook $Token './examples/Invoke-ReprocessLicensedUsers.ps1'

        Assert-ReprocessedOnce $run $licensed
        $output = $run.Lines -join "`n"
        $output | Should -MatchExactly ([regex]::Escape("$($licensed.Count) licensed users"))
        $output | Should -MatchExactly ([regex]::Escape("$($licensed.Count) reprocessed, 0 failed"))
    }

    It 'the README''s one-liner reprocesses and waits for every member in error' {
        $perGroup = @(Get-GraphList $Token '/v1.0/groups?$filter=hasMembersWithLicenseErrors%20eq%20true' | ForEach-Object { , @(Get-GraphList $Token "/v1.0/groups/$($_.id)/membersWithLicenseErrors") })
        $members = @($perGroup | ForEach-Object { $_ })
        Connect-TestEmulator $Token
        $before = Get-ReprocessCount

        # The one-liner as typed; its errors and warnings are taken from the streams it writes them to.
        $run = Invoke-Captured {
            Get-MgGroup -Filter "hasMembersWithLicenseErrors eq true" -All | ForEach-Object { Get-MgGroupMemberWithLicenseError -GroupId $_.Id -All } | Invoke-MgLicenseUser -Wait -TimeoutSec 1
        }
        $reprocessed = Get-Reprocessed $before (Get-ReprocessCount)
        $warnings = $run.Warnings
        $output = $run.Output

        $run.AllErrors | Should -BeNullOrEmpty
        # One reprocess per member per group (a user in two such groups is reprocessed twice), one user written for each.
        $output.Count | Should -Be $members.Count
        $perMember = $members | Group-Object id -CaseSensitive | ForEach-Object { "$($_.Name)=$($_.Count)" }
        Join-Sorted ($reprocessed.GetEnumerator() | ForEach-Object { "$($_.Key)=$($_.Value)" }) | Should -BeExactly (Join-Sorted $perMember)
        foreach ($user in $output) { $null -ne $user.PSObject.Properties['LicenseAssignmentStates']?.Value | Should -BeTrue -Because "$($user.Id) is written with its license states" }
        # Nothing fixed their causes: each member is named in a warning about a license still in error.
        foreach ($member in $members) {
            @($warnings | Where-Object { $_.Contains($member.userPrincipalName) -and $_.Contains(' with ') }).Count |
                Should -BeGreaterThan 0 -Because "$($member.userPrincipalName) is named in a warning"
        }
    }

    It 'Repair-LicenseErrors.ps1 -WhatIf changes nothing and reprocesses nobody' {
        $token = New-TestToken User.ReadWrite.All, GroupMember.ReadWrite.All, Directory.Read.All
        $mark = Get-RequestMark

        $run = Invoke-Runbook $token './examples/Repair-LicenseErrors.ps1 -UsageLocation US -WhatIf'

        @(Get-RequestSince $mark | Where-Object method -ne 'GET') | Should -HaveCount 0
        $run.Reprocessed.Count | Should -Be 0
        $lines = $run.Lines -join "`n"
        $lines | Should -MatchExactly ([regex]::Escape('Update-MgUser -UsageLocation US -UserId AlexW@contoso.com'))
        $lines | Should -MatchExactly 'What if: .*Update-MgUser_UpdateExpanded'
        (Invoke-EmulatorAdmin GET 'users/AlexW@contoso.com').user.usageLocation | Should -BeNullOrEmpty
    }

    It 'Repair-LicenseErrors.ps1 fixes with Graph calls what Graph can, reprocesses, and reports the rest' {
        $token = New-TestToken User.ReadWrite.All, GroupMember.ReadWrite.All, Directory.Read.All
        $inError = @((Invoke-EmulatorAdmin GET users).value | Where-Object { -not $_.deleted -and ($_.user.licenseAssignmentStates | Where-Object state -ne 'Active') } | ForEach-Object { $_.user.id })
        $lee = Get-TestUserId 'LeeG@contoso.com'
        $powerBiGroup = 'c7d2e8f4-1a3b-4c5d-9e6f-7a8b9c0d1e2f'
        $mark = Get-RequestMark

        $run = Invoke-Runbook $token './examples/Repair-LicenseErrors.ps1 -UsageLocation US -TimeoutSec 1 | Format-List UserPrincipalName, License, State, Error, Fix'

        # The changes went through Graph, as calls of the cmdlets: a usage location, a conflicting group left.
        $writes = @(Get-RequestSince $mark | Where-Object method -ne 'GET' | ForEach-Object { "$($_.method) $($_.path)" })
        $writes | Should -Contain 'PATCH /v1.0/users/AlexW@contoso.com'
        $writes | Should -Contain "DELETE /v1.0/groups/$powerBiGroup/members/$lee/`$ref"
        @($writes | Where-Object { $_ -like '*/_emulator/*' }) | Should -HaveCount 0
        # Everyone in error was reprocessed, on the same connection.
        foreach ($id in $inError) { $run.Reprocessed.ContainsKey($id) | Should -BeTrue -Because "$id was in error" }
        $alex = (Invoke-EmulatorAdmin GET 'users/AlexW@contoso.com').user
        $alex.usageLocation | Should -BeExactly 'US'
        @($alex.licenseAssignmentStates | Where-Object state -ne 'Active') | Should -HaveCount 0
        (Invoke-EmulatorAdmin GET "groups/$powerBiGroup").members | Should -Not -Contain $lee
        # What Graph cannot fix is reported with its remedy: Power BI Pro has one seat for its members.
        $lines = $run.Lines -join "`n"
        $lines | Should -MatchExactly 'Error +: CountViolation'
        $lines | Should -MatchExactly ([regex]::Escape('Fix               : buy POWER_BI_PRO seats'))
        $lines | Should -MatchExactly '\d+ licenses still in error'
    }
}

# The sample tenant of examples/tenant, as the demo repairs it: every license error fixed by Graph calls.
Describe 'The repair of the sample tenant' {
    BeforeAll {
        $script:Sample = Start-TestEmulator -Tenant (Join-Path $RepoRoot 'examples/tenant/tenant.json')

        # Every user's admin view (the emulator's, not Graph's), by id.
        function Get-UserView { $views = @{}; foreach ($view in (Invoke-EmulatorAdmin GET users).value) { $views[$view.id] = $view }; $views }
        function Test-InError($View) { -not $View.deleted -and @($View.user.licenseAssignmentStates | Where-Object state -ne 'Active').Count -gt 0 }
    }
    AfterAll { Stop-TestEmulator $script:Sample }

    It 'Repair-LicenseErrors.ps1 -ReclaimFromDisabledAccounts -ReplaceSharedMail leaves nobody in error, with Graph calls only' {
        $token = New-TestToken User.ReadWrite.All, GroupMember.ReadWrite.All, Directory.Read.All
        $before = Get-UserView
        @($before.Values | Where-Object { Test-InError $_ }).Count | Should -Be 47
        $seats = (Invoke-EmulatorAdmin GET skus/SPE_E3).prepaidUnits.enabled
        $mark = Get-RequestMark

        $run = Invoke-Runbook $token './examples/Repair-LicenseErrors.ps1 -UsageLocation US -ReclaimFromDisabledAccounts -ReplaceSharedMail -MaxRounds 5 -TimeoutSec 1'

        $after = Get-UserView
        @($after.Values | Where-Object { Test-InError $_ } | ForEach-Object { $_.user.userPrincipalName }) | Should -BeNullOrEmpty
        @(Get-GraphList $token '/v1.0/groups?$filter=hasMembersWithLicenseErrors%20eq%20true') | Should -HaveCount 0
        $run.Lines -join "`n" | Should -MatchExactly '0 licenses still in error'

        # Only Graph was called, and no seat was bought: the seats came from disabled accounts, each named.
        $requests = @(Get-RequestSince $mark)
        @($requests | Where-Object { $_.path -notmatch '^/v1\.0/' }) | Should -HaveCount 0
        (Invoke-EmulatorAdmin GET skus/SPE_E3).prepaidUnits.enabled | Should -Be $seats
        $writes = @($requests | Where-Object method -ne 'GET' | ForEach-Object { "$($_.method) $($_.path)" })
        $reclaimed = @($before.Values | Where-Object { $_.user.accountEnabled -eq $false -and -not $_.deleted -and @($_.directLicenses).Count })
        $reclaimed | Should -HaveCount 30
        foreach ($view in $reclaimed) {
            $upn = $view.user.userPrincipalName
            $writes | Should -Contain "POST /v1.0/users/$upn/assignLicense"
            @($after[$view.id].user.assignedLicenses) | Should -HaveCount 0
            $run.Lines -join "`n" | Should -Match ([regex]::Escape("reclaiming the SPE_E3 seat of disabled account $upn"))
        }
        # The users whose mail was another's address have their own, set through Graph; nobody else's changed.
        $readdressed = @($before.Values | Where-Object { "$($after[$_.id].user.proxyAddresses)" -cne "$($_.user.proxyAddresses)" })
        $readdressed | Should -HaveCount 2
        foreach ($view in $readdressed) {
            $upn = $view.user.userPrincipalName
            $view.user.mail | Should -Not -Be $upn
            $writes | Should -Contain "PATCH /v1.0/users/$upn"
            $after[$view.id].user.mail | Should -BeExactly $upn
            $after[$view.id].user.proxyAddresses | Should -Be @("SMTP:$upn")
        }
    }

    It 'Invoke-Demo.ps1 signs in with a client secret and repairs the sample tenant; its only admin call registers the app' {
        $adminCalls = @(Select-String -Path (Join-Path $RepoRoot 'examples/Invoke-Demo.ps1') -Pattern '/_emulator/\w+' -AllMatches | ForEach-Object { $_.Matches.Value })
        $adminCalls | Should -Be @('/_emulator/apps')

        $lines = @(Invoke-ChildPwsh "& ./examples/Invoke-Demo.ps1 -Emulator '$EmulatorProgram' -ModuleManifest '$ModuleManifest' 2>&1" -WorkingDirectory $RepoRoot)
        $LASTEXITCODE | Should -Be 0 -Because ($lines -join "`n")
        $text = $lines -join "`n"
        $text | Should -MatchExactly 'AuthType : AppOnly'
        $text | Should -MatchExactly 'round 1: 47 users in license error'
        $text | Should -MatchExactly '0 licenses still in error'
    }
}
