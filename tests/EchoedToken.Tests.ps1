# A Graph endpoint that echoes the Authorization header back, in its response headers and body: the token still
# reaches no response-header variable, ErrorDetails, exception, output, stream or console line.

BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Emulator = Start-TestEmulator
    $script:ShowHeaders = 'foreach ($k in $rh.Keys) { "${k}: $($rh[$k] -join '','')" }'
}

AfterAll { Stop-TestEmulator $script:Emulator }

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
        $console = @(Invoke-ChildPwsh $script -Token $token -GraphUrl $echo.Url)
        ($console -join "`n") | Should -BeLikeExactly '*x-echo-authorization: Bearer <redacted>*' -Because 'the console shows the headers'
        Assert-NoSecret $run $console $token
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
        $console = @(Invoke-ChildPwsh $script -Token $token -GraphUrl $echo.Url)
        ($console -join "`n") | Should -BeLikeExactly '*You sent Bearer <redacted>*' -Because 'the console shows the error'
        Assert-NoSecret $run $console $token
    }
}
