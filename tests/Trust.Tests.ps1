# Extra trusted roots as a PowerShell user reaches them (docs/abi.md, "Trusted roots"): MGLICENSE_EXTRA_CA_CERTS names a
# PEM file of root certificates, which the engine reads when Connect-MgGraph runs. The TLS itself is the engine's
# tests' (crates/mglicense/tests/tls.rs); here, that the variable reaches the engine and a bad one is named.

BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Emulator = Start-TestEmulator
    $script:Tls = Join-Path $PSScriptRoot 'data/tls'
    $script:Connect = '$secure = ConvertTo-SecureString $token -AsPlainText -Force; ' +
        'try { Connect-MgGraph -AccessToken $secure -Environment Emulator -NoWelcome -ErrorAction Stop; "connected: $((Get-MgContext).AuthType)" } ' +
        'catch { "refused: $($_.Exception.Message)"; "context: $(@(Get-MgContext).Count)" }'
}

AfterAll { Stop-TestEmulator $script:Emulator }

Describe 'MGLICENSE_EXTRA_CA_CERTS' {
    It 'set before pwsh starts, it is read when Connect-MgGraph runs: <Case>' -ForEach @(
        @{ Case = 'a file of root certificates connects'; File = 'test-only-trusted-test-root.cert.pem'; Expected = 'connected: UserProvidedAccessToken' }
        @{ Case = 'a missing file is named with its path, and nothing connects'; File = 'no-such-roots.pem'; Expected = "refused: MGLICENSE_EXTRA_CA_CERTS ('*no-such-roots.pem') names a file that cannot be read*" }
        @{ Case = 'a private key given by mistake is named, never shown'; File = 'test-only-untrusted.key.pem'; Expected = 'refused: MGLICENSE_EXTRA_CA_CERTS (*) holds a PRIVATE KEY block (block 1): give only root certificates*' }
    ) {
        $path = Join-Path $script:Tls $File
        $shown = @(Invoke-ChildPwsh $script:Connect @{ MGLICENSE_EXTRA_CA_CERTS = $path } -WithModule -Variable @{ token = (New-TestToken User.ReadWrite.All) })

        $shown[0] | Should -BeLike $Expected
        if ($Expected -like 'refused*') {
            $shown[1] | Should -BeExactly 'context: 0'
            $key = Get-Content -Raw (Join-Path $script:Tls 'test-only-untrusted.key.pem')
            ($shown -join "`n") | Should -Not -BeLike "*$($key.Substring(40, 40))*"
        }
    }

    # On Linux and macOS a change to $env: stays inside .NET and never reaches the engine (set the variable before
    # starting pwsh, as for SSL_CERT_FILE: docs/windows.md); on Windows it is the process's environment.
    It 'on Windows, $env: in the session reaches the engine' -Skip:(-not $IsWindows) {
        $script = '$env:MGLICENSE_EXTRA_CA_CERTS = Join-Path $tls "no-such-roots.pem"; ' + $script:Connect
        $shown = @(Invoke-ChildPwsh $script -WithModule -Variable @{ token = (New-TestToken User.ReadWrite.All); tls = $script:Tls })

        $shown[0] | Should -BeLike "refused: MGLICENSE_EXTRA_CA_CERTS ('*no-such-roots.pem') names a file that cannot be read*"
    }
}
