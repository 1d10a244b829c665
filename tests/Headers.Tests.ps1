# -Headers and -ResponseHeadersVariable as a user relies on them: refused headers stop before anything
# is sent, honoured ones arrive, the response headers land in the caller's variable.

BeforeDiscovery {
    # The seeded users, for test cases that name one (Common.ps1 is loaded when the tests run).
    $users = @((Get-Content -Raw (Join-Path $PSScriptRoot 'data/tenant.json') | ConvertFrom-Json).users)
    $group = 'c7d2e8f4-1a3b-4c5d-9e6f-7a8b9c0d1e2f'
    $missingId = '00000000-0000-0000-0000-00000000dead'
}

BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Emulator = Start-TestEmulator
}

AfterAll { Stop-TestEmulator $script:Emulator }

Describe 'Headers of the reprocess cmdlets' {
    BeforeAll { Connect-TestEmulator (New-TestToken User.ReadWrite.All) }

    It 'refuses -Headers <Shown> with an InvalidArgument naming <Named>, and sends nothing' -ForEach @(
        @{ Shown = '@{ ''x-note'' = "one`r`nInjected: two" }'; Headers = @{ 'x-note' = "one`r`nInjected: two" }; Named = 'x-note' }
        @{ Shown = '@{ ''x-note'' = "one`ntwo" }'; Headers = @{ 'x-note' = "one`ntwo" }; Named = 'x-note' }
        @{ Shown = '@{ "x-bad`r`nname" = ''v'' }'; Headers = @{ "x-bad`r`nname" = 'v' }; Named = 'x-bad' }
        @{ Shown = '@{ Authorization = ''Bearer stolen'' }'; Headers = @{ Authorization = 'Bearer stolen' }; Named = 'Authorization' }
        @{ Shown = '@{ host = ''attacker.example'' }'; Headers = @{ host = 'attacker.example' }; Named = 'host' }
        @{ Shown = '@{ ''Content-Length'' = ''0'' }'; Headers = @{ 'Content-Length' = '0' }; Named = 'Content-Length' }
    ) {
        $mark = Get-RequestMark
        $output = @(); $errors = $caught = $null
        try { $null = Invoke-MgLicenseUser -UserId $TestUsers[0].id -Headers $Headers -OutVariable output -ErrorVariable errors 2>$null } catch { $caught = $_ }
        $sent = @(Get-RequestSince $mark)

        $sent | Should -HaveCount 0
        @($output) | Should -HaveCount 0
        $all = Get-AllError $errors $caught
        $all | Should -HaveCount 1
        $all[0].CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::InvalidArgument)
        $all[0].Exception.Message | Should -MatchExactly ([regex]::Escape("'$Named"))
        $all[0].FullyQualifiedErrorId | Should -MatchExactly '^InvalidArgument,'
    }

    It '<Cmdlet> refuses a token in -Headers without carrying it in the error record: its target shows the header, not its value' -ForEach @(
        @{ Cmdlet = 'Invoke-MgLicenseUser'; Call = { param($h) Invoke-MgLicenseUser -UserId $TestUsers[0].id -Headers $h } }
        @{ Cmdlet = 'Invoke-MgBetaLicenseUser'; Call = { param($h) $TestUsers[0].id | Invoke-MgBetaLicenseUser -Headers $h } }
        @{ Cmdlet = 'Get-MgUser'; Call = { param($h) Get-MgUser -Top 1 -Headers $h } }
        @{ Cmdlet = 'Update-MgUser'; Call = { param($h) Update-MgUser -UserId $TestUsers[0].id -Department Sales -Headers $h } }
    ) {
        $headers = [ordered]@{ 'x-note' = 'kept'; Authorization = 'Bearer stolen-4411'; 'Proxy-Authorization' = 'Basic stolen-4412' }
        $mark = Get-RequestMark

        $run = Invoke-Captured { & $Call $headers }

        @(Get-RequestSince $mark) | Should -HaveCount 0
        $run.AllErrors | Should -HaveCount 1
        $target = $run.AllErrors[0].TargetObject
        $target.Headers['x-note'] | Should -BeExactly 'kept'
        $target.Headers['Authorization'] | Should -Not -BeNullOrEmpty
        ($target | ConvertTo-Json -Depth 5) | Should -Not -BeLike '*stolen-44*'
        Assert-NoSecret $run -Secret 'stolen-4411', 'stolen-4412'
        $headers['Authorization'] | Should -BeExactly 'Bearer stolen-4411' -Because 'the caller''s own dictionary is not changed'
    }

    It '<Cmdlet> sends the client-request-id and throttle priority the user gives' -ForEach @(
        @{ Cmdlet = 'Invoke-MgLicenseUser' }
        @{ Cmdlet = 'Invoke-MgBetaLicenseUser' }
        @{ Cmdlet = 'Invoke-MgBetaReprocessUserCloudLicensingAssignment' }
        @{ Cmdlet = 'Invoke-MgBetaLicenseUser2' }
    ) {
        $clientRequestId = [guid]::NewGuid().ToString()

        $mark = Get-RequestMark
        $null = & $Cmdlet -UserId $TestUsers[0].id -Headers @{ 'client-request-id' = $clientRequestId; 'x-ms-throttle-priority' = 'Low'; 'x-count' = 7 } -RHV rh -ErrorVariable errors
        $shown = @($rh['client-request-id'])
        $sent = @(Get-RequestSince $mark)

        $errors | Should -HaveCount 0
        $sent | Should -HaveCount 1
        Get-SentHeader $sent[0] 'client-request-id' | Should -BeExactly $clientRequestId
        Get-SentHeader $sent[0] 'x-ms-throttle-priority' | Should -BeExactly 'Low'
        Get-SentHeader $sent[0] 'x-count' | Should -BeExactly '7'
        # Graph echoes the client's request id; the response-header variable shows it.
        $shown | Should -HaveCount 1
        $shown[0] | Should -BeExactly $clientRequestId
    }

    It '<Cmdlet> sets -ResponseHeadersVariable in the global scope, as the official cmdlets do, as a case-insensitive dictionary' -ForEach @(
        @{ Cmdlet = 'Invoke-MgLicenseUser' }
        @{ Cmdlet = 'Invoke-MgBetaReprocessUserCloudLicensingAssignment' }
    ) {
        # The official cmdlets set "global:<name>" (AutoRest class.ts, GetResponseHeaders), so a helper function's caller
        # reads the headers after the function returned.
        Remove-Variable -Scope Global -Name rhvHeaders -ErrorAction Ignore
        function Reprocess($user) { $null = & $Cmdlet -UserId $user -ResponseHeadersVariable rhvHeaders }

        $errors = @(Reprocess $TestUsers[0].id 2>&1)
        $headers = Get-Variable -Scope Global -Name rhvHeaders -ValueOnly
        Remove-Variable -Scope Global -Name rhvHeaders

        $errors | Should -HaveCount 0
        $headers['Request-Id'] | Should -MatchExactly '^[0-9a-f-]{36}$'
        [string]$headers['request-id'] | Should -BeExactly ([string]$headers['REQUEST-ID'])
        $headers -is [System.Collections.Generic.Dictionary[string, System.Collections.Generic.IEnumerable[string]]] | Should -BeTrue
    }

    It 'takes a scope given with the name of -ResponseHeadersVariable as given' {
        function Reprocess($user) { $null = Invoke-MgLicenseUser -UserId $user -ResponseHeadersVariable local:mine; $null -ne $mine }

        Remove-Variable -Scope Global -Name mine -ErrorAction Ignore
        Reprocess $TestUsers[0].id | Should -BeTrue
        Test-Path variable:global:mine | Should -BeFalse
    }

    It 'leaves -ResponseHeadersVariable alone when the call fails' {
        $global:rh = 'before'
        $output = @(Invoke-MgLicenseUser -UserId '00000000-0000-0000-0000-00000000dead' -RHV rh -ErrorVariable errors 2>$null; $global:rh)
        Remove-Variable -Scope Global -Name rh

        $errors | Should -HaveCount 1
        $errors[0] | Should -BeOfType [System.Management.Automation.ErrorRecord]
        $output | Should -HaveCount 1
        $output[0] | Should -BeExactly 'before'
    }
}

Describe 'Headers of the reads' {
    BeforeAll { Connect-TestEmulator (New-TestToken User.Read.All, Directory.Read.All) }

    It '<Read> sends the client-request-id it is given, and shows it echoed' -ForEach @(
        @{ Read = 'Get-MgUser -UserId $id'; Command = 'Get-MgUser'; Parameters = @{ UserId = $users[0].id } }
        @{ Read = 'Get-MgGroup -GroupId $g'; Command = 'Get-MgGroup'; Parameters = @{ GroupId = $group } }
        @{ Read = 'Get-MgGroupMemberWithLicenseError -GroupId $g -All'; Command = 'Get-MgGroupMemberWithLicenseError'; Parameters = @{ GroupId = $group; All = $true } }
        @{ Read = 'Get-MgSubscribedSku -All'; Command = 'Get-MgSubscribedSku'; Parameters = @{ All = $true } }
    ) {
        $clientRequestId = [guid]::NewGuid().ToString()

        $mark = Get-RequestMark
        $null = & $Command @Parameters -Headers @{ 'client-request-id' = $clientRequestId } -RHV rh -ErrorVariable errors
        $shown = @($rh['client-request-id'])
        $sent = @(Get-RequestSince $mark)

        $errors | Should -HaveCount 0
        $sent.Count | Should -BeGreaterThan 0
        foreach ($request in $sent) { Get-SentHeader $request 'client-request-id' | Should -BeExactly $clientRequestId }
        $shown | Should -HaveCount 1
        $shown[0] | Should -BeExactly $clientRequestId
    }

    It 'leaves -ResponseHeadersVariable alone when <Read> fails' -ForEach @(
        @{ Read = 'Get-MgUser -UserId nobody@contoso.com'; Command = 'Get-MgUser'; Parameters = @{ UserId = 'nobody@contoso.com' } }
        @{ Read = "Get-MgGroup -GroupId $missingId"; Command = 'Get-MgGroup'; Parameters = @{ GroupId = $missingId } }
        @{ Read = "Get-MgGroupMemberWithLicenseError -GroupId $missingId -All"; Command = 'Get-MgGroupMemberWithLicenseError'; Parameters = @{ GroupId = $missingId; All = $true } }
    ) {
        $rh = 'before'
        $output = @(& $Command @Parameters -RHV rh -ErrorVariable errors 2>$null; $rh)

        $errors | Should -HaveCount 1
        $errors[0] | Should -BeOfType [System.Management.Automation.ErrorRecord]
        $errors[0].ErrorDetails.Message | Should -MatchExactly ([regex]::Escape('Status: 404'))
        $output | Should -HaveCount 1
        $output[0] | Should -BeExactly 'before'
    }
}

Describe 'Headers of a paged read' {
    BeforeAll { Connect-TestEmulator (New-TestToken User.Read.All) }

    It 'holds the last page''s headers in -ResponseHeadersVariable' {
        $mark = Get-RequestMark
        Get-MgUser -All -PageSize 3 -RHV rh -ErrorVariable errors | Out-Null
        $shown = @($rh['request-id'])
        $sent = @(Get-RequestSince $mark)

        $errors | Should -HaveCount 0
        $sent.Count | Should -BeGreaterThan 1 -Because 'the read took several pages'
        $shown | Should -HaveCount 1
        $shown[0] | Should -BeExactly $sent[-1].requestId
    }

    It 'keeps the last good page''s headers in -ResponseHeadersVariable when a later page fails' {
        # Half the pages fail, drawn from a seeded generator (seed 1: the third request is the first to fail); a 404 is not retried.
        Set-EmulatorFault '{"seed":1,"rules":[{"method":"GET","path":"/v1.0/users","failureRate":0.5,"statuses":[404]}]}'
        try {
            $mark = Get-RequestMark
            Get-MgUser -All -PageSize 1 -RHV rh -ErrorVariable errors 2>$null | Out-Null
            $shown = @($rh['request-id'])
            $sent = @(Get-RequestSince $mark)
        } finally {
            Set-EmulatorFault '{"rules":[]}'
        }

        $errors | Should -HaveCount 1
        $errors[0] | Should -BeOfType [System.Management.Automation.ErrorRecord]
        $failed = -1
        for ($i = 0; $i -lt $sent.Count; $i++) { if ($sent[$i].status -ne 200) { $failed = $i; break } }
        $failed | Should -Be ($sent.Count - 1)
        $failed | Should -BeGreaterThan 0 -Because 'the first page failed: pick a seed whose first draw passes'
        $shown | Should -HaveCount 1
        $shown[0] | Should -BeExactly $sent[$failed - 1].requestId
    }
}
