# -Debug and -Verbose: the engine describes the call only when the cmdlet's stream is on, and no stream, nor
# the console, ever carries the token.

BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Emulator = Start-TestEmulator
    # Invoke-ChildPwsh puts back a variable that was not set as an empty one; AfterAll removes those.
    $script:VariablesBefore = @(Get-ChildItem env: | ForEach-Object Name)
    $script:RequestBanner = '============================ HTTP REQUEST ============================'
    $script:ResponseBanner = '============================ HTTP RESPONSE ============================'

    # Runs a script as a user types it in a fresh session (errors continue, as by default), every stream kept
    # apart: what it wrote, its non-terminating errors, the terminating one that stopped it, and the warning,
    # verbose, debug and information messages.
    function Invoke-Captured([scriptblock] $Script) {
        $ErrorActionPreference = 'Continue'
        $records = [System.Collections.Generic.List[object]]::new()
        $terminating = $null
        try { . $Script *>&1 | ForEach-Object { $records.Add($_) } } catch { $terminating = $_ }
        $errors = @($records | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
        [pscustomobject]@{
            Output      = @($records | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] -and $_ -isnot [System.Management.Automation.InformationalRecord] -and $_ -isnot [System.Management.Automation.InformationRecord] })
            Errors      = $errors
            Terminating = $terminating
            AllErrors   = @($errors) + @($terminating | Where-Object { $_ })
            Warnings    = @($records | Where-Object { $_ -is [System.Management.Automation.WarningRecord] } | ForEach-Object Message)
            Verbose     = @($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
            Debug       = @($records | Where-Object { $_ -is [System.Management.Automation.DebugRecord] } | ForEach-Object Message)
            Information = @($records | Where-Object { $_ -is [System.Management.Automation.InformationRecord] } | ForEach-Object { "$($_.MessageData)" })
        }
    }

    # What a console shows for the script: a pwsh of its own, connected with the token, $id set.
    function Show-InConsole([string] $Script, [string] $Token, [string] $Id) {
        $prelude = 'Import-Module $env:MGLICENSE_TEST_MODULE -ErrorAction Stop; ' +
            '$null = Add-MgEnvironment -Name Emulator -GraphEndpoint $env:MGLICENSE_TEST_URL -AzureADEndpoint $env:MGLICENSE_TEST_URL; ' +
            'Connect-MgGraph -AccessToken (ConvertTo-SecureString $env:MGLICENSE_TEST_TOKEN -AsPlainText -Force) -Environment Emulator -NoWelcome -ErrorAction Stop; ' +
            '$id = $env:MGLICENSE_TEST_ID; '
        Invoke-ChildPwsh -Command ($prelude + $Script) -Environment @{ MGLICENSE_TEST_URL = $Emulator.Url; MGLICENSE_TEST_TOKEN = $Token; MGLICENSE_TEST_ID = $Id }
    }

    # The token (or its signature, the part that makes it usable) appears in no stream, no error and on no console line.
    function Assert-NoToken([string] $Token, $Run, [string[]] $Console) {
        $signature = $Token.Substring($Token.LastIndexOf('.') + 1)
        $everything = @(Get-AllText -Output $Run.Output -Errors $Run.AllErrors -Other ($Run.Debug + $Run.Verbose + $Run.Warnings + $Run.Information)) + $Console
        foreach ($text in $everything) {
            $text | Should -Not -BeLikeExactly "*$Token*"
            $text | Should -Not -BeLikeExactly "*$signature*"
        }
    }
}

AfterAll {
    Set-EmulatorFault @{ rules = @() }
    Get-ChildItem env: | Where-Object { $_.Name -notin $VariablesBefore -and $_.Value -eq '' } | ForEach-Object { Remove-Item "env:$($_.Name)" }
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
        $console = @(Show-InConsole $Script $token $id)
        ($console -join "`n") | Should -BeLikeExactly "*DEBUG: $ResponseBanner*" -Because 'the console shows the call'
        Assert-NoToken $token $run $console
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
        $console = @(Show-InConsole $script $token '')
        ($console -join "`n") | Should -BeLikeExactly '*Request_ResourceNotFound*' -Because 'the console shows the call'
        Assert-NoToken $token $run $console
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
        $console = @(Show-InConsole $script $token $id)
        ($console -join "`n") | Should -BeLikeExactly "*VERBOSE: POST *$id*" -Because 'the console shows the call'
        Assert-NoToken $token $run $console
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
            $before = @(Get-SentRequest).Count
            $run = Invoke-Captured ([scriptblock]::Create($Script))
            $sent = @(Get-SentRequest | Select-Object -Skip $before)
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
