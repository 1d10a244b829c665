# -Debug and -Verbose: the engine describes the call only when the cmdlet's stream is on, and no stream, nor
# the console, ever carries the token.

BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Emulator = Start-TestEmulator
    $script:RequestBanner = '============================ HTTP REQUEST ============================'
    $script:ResponseBanner = '============================ HTTP RESPONSE ============================'
}

AfterAll {
    Set-EmulatorFault @{ rules = @() }
    Stop-TestEmulator $script:Emulator
}

Describe '-Debug' {
    AfterEach { Disconnect-MgGraph -ErrorAction Ignore | Out-Null }

    It '<Script> shows the request and the response, and never the token' -ForEach @(
        @{ Script = 'Invoke-MgLicenseUser -UserId $id -Debug'; Path = '/v1.0/users/{0}/reprocessLicenseAssignment' }
        @{ Script = '$id | Invoke-MgBetaReprocessUserCloudLicensingAssignment -Debug'; Path = '/beta/users/{0}/cloudLicensing/assignments/reprocessAssignments' }
    ) {
        $token = New-TestToken User.ReadWrite.All
        Connect-TestEmulator $token
        $id = $TestUsers[0].id

        $run = Invoke-Captured ([scriptblock]::Create($Script))

        $run.AllErrors | Should -HaveCount 0
        $debug = $run.Debug -join "`n"
        $debug | Should -BeLikeExactly "*$RequestBanner*"
        $debug | Should -BeLikeExactly "*$ResponseBanner*"
        $debug | Should -BeLikeExactly "*HTTP Method:`nPOST*"
        $debug | Should -BeLikeExactly "*$($Path -f $id)*"
        $debug.IndexOf($RequestBanner) | Should -BeLessThan $debug.IndexOf($ResponseBanner) -Because 'the request comes before the response'
        $debug | Should -Not -BeLikeExactly '*Bearer*'
        $console = @(Invoke-ChildPwsh $Script -Token $token -Variable @{ id = $id })
        ($console -join "`n") | Should -BeLikeExactly "*DEBUG: $ResponseBanner*" -Because 'the console shows the call'
        Assert-NoSecret $run $console $token
    }

    It 'on a failed call shows the error response, and never the token' {
        $token = New-TestToken User.ReadWrite.All
        Connect-TestEmulator $token
        $script = 'Invoke-MgBetaLicenseUser -UserId 00000000-0000-0000-0000-00000000dead -Debug'

        $run = Invoke-Captured ([scriptblock]::Create($script))

        $run.Errors | Should -HaveCount 1
        $debug = $run.Debug -join "`n"
        $debug | Should -BeLikeExactly "*$RequestBanner*"
        $debug | Should -BeLikeExactly "*$ResponseBanner*"
        $debug | Should -BeLikeExactly '*Request_ResourceNotFound*'
        $console = @(Invoke-ChildPwsh $script -Token $token)
        ($console -join "`n") | Should -BeLikeExactly '*Request_ResourceNotFound*' -Because 'the console shows the call'
        Assert-NoSecret $run $console $token
    }

    It '$DebugPreference turns it on, -Debug:$false turns it off' {
        Connect-TestEmulator (New-TestToken User.ReadWrite.All)
        $id = $TestUsers[0].id

        $quiet = Invoke-Captured { $null = Invoke-MgLicenseUser -UserId $id }
        $byPreference = Invoke-Captured { $DebugPreference = 'Continue'; $null = Invoke-MgLicenseUser -UserId $id }
        $switchedOff = Invoke-Captured { $DebugPreference = 'Continue'; $null = Invoke-MgLicenseUser -UserId $id -Debug:$false }
        $inFunction = Invoke-Captured { function f { $DebugPreference = 'Continue'; $null = Invoke-MgLicenseUser -UserId $id }; f }

        $quiet.Debug | Should -HaveCount 0
        @($byPreference.Debug | Where-Object { $_.Contains($RequestBanner) }).Count | Should -BeGreaterThan 0
        $switchedOff.Debug | Should -HaveCount 0
        @($inFunction.Debug | Where-Object { $_.Contains($ResponseBanner) }).Count | Should -BeGreaterThan 0
    }
}

Describe '-Verbose' {
    AfterEach { Disconnect-MgGraph -ErrorAction Ignore | Out-Null }

    It 'says which call is made for whom, only for the call that asked' {
        $token = New-TestToken User.ReadWrite.All
        Connect-TestEmulator $token
        $id = $TestUsers[1].id
        $script = '$null = Invoke-MgBetaLicenseUser2 -UserId $id -Verbose; $null = Invoke-MgBetaLicenseUser2 -UserId $id'

        $run = Invoke-Captured ([scriptblock]::Create($script))

        $run.AllErrors | Should -HaveCount 0
        @($run.Verbose | Where-Object { $_.StartsWith('POST ') -and $_.Contains("/beta/users/$id/reprocessLicenseAssignment2") -and $_.Contains("'$id'") }).Count | Should -BeGreaterThan 0
        @($run.Verbose | Where-Object { $_.Contains('200') }).Count | Should -BeGreaterThan 0
        $run.Debug | Should -HaveCount 0
        # Only the first call asked: the second adds nothing.
        [System.Collections.Generic.HashSet[string]]::new([string[]] $run.Verbose, [StringComparer]::Ordinal).Count | Should -Be $run.Verbose.Count
        $console = @(Invoke-ChildPwsh $script -Token $token -Variable @{ id = $id })
        ($console -join "`n") | Should -BeLikeExactly "*VERBOSE: POST *$id*" -Because 'the console shows the call'
        Assert-NoSecret $run $console $token
    }

    It 'on a failed call says so' {
        Connect-TestEmulator (New-TestToken User.Read.All)
        $id = $TestUsers[0].id

        $run = Invoke-Captured { $VerbosePreference = 'Continue'; Invoke-MgLicenseUser -UserId $id }

        $run.Errors | Should -HaveCount 1
        @($run.Verbose | Where-Object { $_.Contains('403') }).Count | Should -BeGreaterThan 0
    }

    It '<Script> says when the call is retried' -ForEach @(
        @{ Script = 'Invoke-MgLicenseUser -UserId $id -Verbose'; Method = 'POST'; Path = '/v1.0/users/{0}/reprocessLicenseAssignment' }
        @{ Script = 'Get-MgUser -UserId $id -Verbose'; Method = 'GET'; Path = '/v1.0/users/{0}' }
    ) {
        Connect-TestEmulator (New-TestToken User.ReadWrite.All)
        $id = $TestUsers[2].id
        $sentTo = $Path -f $id
        # Exactly one 503, with a short Retry-After so the retry comes at once.
        Set-EmulatorFault '{"rules":[{"path":"/v1.0/users/**","failureRate":1,"statuses":[503],"count":1,"retryAfterSeconds":0.1,"retryAfterFormat":"fraction"}]}'
        try {
            $mark = Get-RequestMark
            $run = Invoke-Captured ([scriptblock]::Create($Script))
            $sent = @(Get-RequestSince $mark)
        } finally {
            Set-EmulatorFault '{"rules":[]}'
        }

        $run.AllErrors | Should -HaveCount 0
        $run.Output | Should -HaveCount 1
        $run.Output[0].Id | Should -BeExactly $id
        ($sent.status -join '|') | Should -BeExactly '503|200'
        foreach ($request in $sent) {
            $request.method | Should -BeExactly $Method
            $request.path | Should -BeExactly $sentTo
        }

        $retries = @($run.Verbose | Where-Object { $_.Contains('answered 503') })
        $retries | Should -HaveCount 1
        $retry = $retries[0]
        $retry | Should -BeLikeExactly "*$id*"
        $retry | Should -BeLikeExactly '*retry 1 of*'
        # The retry is said between the two attempts.
        $said = [array]::IndexOf($run.Verbose, $retry)
        @($run.Verbose | Select-Object -First $said | Where-Object { $_.Contains($sentTo) }) | Should -HaveCount 2
        @($run.Verbose | Select-Object -Skip ($said + 1) | Where-Object { $_.Contains($sentTo) -and $_.Contains('200') }).Count | Should -BeGreaterThan 0
    }
}
