# A Graph endpoint that echoes the Authorization header back, in its response headers and body: the token still
# reaches no response-header variable, ErrorDetails, exception, output, stream or console line.

BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Emulator = Start-TestEmulator
    # Invoke-ChildPwsh puts back a variable that was not set as an empty one; AfterAll removes those.
    $script:VariablesBefore = @(Get-ChildItem env: | ForEach-Object Name)
    $script:ShowHeaders = 'foreach ($k in $rh.Keys) { "${k}: $($rh[$k] -join '','')" }'

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

    # What a console shows for the script: a pwsh of its own, connected to the stub with the token.
    function Show-InConsole([string] $Script, $Stub, [string] $Token) {
        $prelude = 'Import-Module $env:MGLICENSE_TEST_MODULE -ErrorAction Stop; ' +
            '$null = Add-MgEnvironment -Name Stub -GraphEndpoint $env:MGLICENSE_TEST_URL -AzureADEndpoint $env:MGLICENSE_TEST_URL; ' +
            'Connect-MgGraph -AccessToken (ConvertTo-SecureString $env:MGLICENSE_TEST_TOKEN -AsPlainText -Force) -Environment Stub -NoWelcome -ErrorAction Stop; '
        Invoke-ChildPwsh -Command ($prelude + $Script) -Environment @{ MGLICENSE_TEST_URL = $Stub.Url; MGLICENSE_TEST_TOKEN = $Token }
    }

    function Assert-NoToken([string] $Token, $Run, [string[]] $Console) {
        $everything = @(Get-AllText -Output $Run.Output -Errors $Run.AllErrors -Other ($Run.Debug + $Run.Verbose + $Run.Warnings + $Run.Information)) + $Console
        foreach ($text in $everything) { $text | Should -Not -BeLikeExactly "*$Token*" }
    }
}

AfterAll {
    Get-ChildItem env: | Where-Object { $_.Name -notin $VariablesBefore -and $_.Value -eq '' } | ForEach-Object { Remove-Item "env:$($_.Name)" }
    Stop-TestEmulator $script:Emulator
}

Describe 'A token echoed by Graph' {
    BeforeEach { $token = 'echo-test-token-' + [guid]::NewGuid().ToString('N') }

    AfterEach {
        $environment = (Get-MgContext).Environment
        Disconnect-MgGraph -ErrorAction Ignore | Out-Null
        if ($environment) { Remove-MgEnvironment -Name $environment -ErrorAction Ignore }
        $echo.Dispose()
    }

    It 'is redacted from the response-header variable and every stream: <Script>' -ForEach @(
        @{ Script = '$null = Invoke-MgLicenseUser -UserId u1 -RHV rh -Debug -Verbose; ' }
        @{ Script = '$u = Get-MgUser -UserId u1 -RHV rh -Debug -Verbose; $u.DisplayName; ' }
    ) {
        $echo = New-StubGraph -EchoAuthorization '200 OK'
        Connect-StubGraph $echo $token
        $script = $Script + $ShowHeaders

        $run = Invoke-Captured ([scriptblock]::Create($script))

        $run.AllErrors | Should -HaveCount 0
        $echo.Requests | Should -Be 1
        @($run.Output | Where-Object { "$_".StartsWith('x-echo-authorization: Bearer <redacted>', [StringComparison]::Ordinal) }).Count | Should -BeGreaterThan 0
        $console = @(Show-InConsole $script $echo $token)
        ($console -join "`n") | Should -BeLikeExactly '*x-echo-authorization: Bearer <redacted>*' -Because 'the console shows the headers'
        Assert-NoToken $token $run $console
    }

    It 'is redacted from ErrorDetails: <Script>' -ForEach @(
        @{ Script = 'Invoke-MgLicenseUser -UserId u1 -RHV rh -Debug -Verbose' }
        @{ Script = 'Get-MgUser -UserId u1 -RHV rh -Debug -Verbose' }
    ) {
        $echo = New-StubGraph -EchoAuthorization '400 Bad Request'
        Connect-StubGraph $echo $token
        $script = "`$rh = 'before'; $Script; `$rh"

        $run = Invoke-Captured ([scriptblock]::Create($script))

        $run.Errors | Should -HaveCount 1
        $details = $run.Errors[0].ErrorDetails
        $details | Should -Not -BeNullOrEmpty
        $details.Message | Should -BeLikeExactly '*You sent Bearer <redacted>*'
        $details.Message.Substring($details.Message.IndexOf('x-echo-authorization', [StringComparison]::Ordinal)) | Should -BeLikeExactly '*<redacted>*'
        $run.Output | Should -HaveCount 1
        $run.Output[0] | Should -BeExactly 'before'
        $console = @(Show-InConsole $script $echo $token)
        ($console -join "`n") | Should -BeLikeExactly '*You sent Bearer <redacted>*' -Because 'the console shows the error'
        Assert-NoToken $token $run $console
    }
}
