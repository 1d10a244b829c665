# Connect-MgGraph's real sign-ins against the emulator's login side: each flow end to end, its failures, and no
# secret in any stream, error or console line (a pwsh of its own shows what a console shows).

BeforeDiscovery {
    . $PSScriptRoot/Common.ps1   # $IsWine
    # Wine 8's CNG cannot make or use an RSA key: RSA.Create's keys fail every export and signature with
    # 0xc1000002, RSACng cannot sign (so no self-signed certificate), and GetRSAPrivateKey on a certificate loaded
    # from a PFX crashes the process in NCryptGetProperty. The certificate sign-in tests skip there.
}

BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Emulator = Start-TestEmulator
    $script:Secret = 'Zq8~secret.Value_for-MgLicense-tests'
    $script:TenantId = (Invoke-EmulatorAdmin GET health).tenantId
    # After the connect command: the context, a call that succeeds, one that fails (a Graph error with ErrorDetails), each with -Debug -Verbose.
    $script:Calls = "; Get-MgContext; (Get-MgContext).TokenCredentialType; Invoke-MgLicenseUser -UserId `$user -Debug -Verbose -ResponseHeadersVariable h; " +
        "Invoke-MgLicenseUser -UserId 'nobody-at-all@contoso.com' -Debug -Verbose -ErrorAction Continue"
    # Every variable a sign-in reads from the environment.
    $script:SignInVariables = 'IDENTITY_ENDPOINT', 'IDENTITY_HEADER', 'MGLICENSE_IMDS_ENDPOINT', 'AZURE_TENANT_ID', 'AZURE_CLIENT_ID',
        'AZURE_CLIENT_SECRET', 'AZURE_CLIENT_CERTIFICATE_PATH', 'AZURE_CLIENT_CERTIFICATE_PASSWORD', 'HTTPS_PROXY', 'MGLICENSE_BROWSER'
    $script:SavedVariables = @{}
    foreach ($name in $SignInVariables) { $SavedVariables[$name] = [Environment]::GetEnvironmentVariable($name) }

    function Register-App($App) { $null = Invoke-EmulatorAdmin POST apps $App }

    function Get-LoginRequest { @(Invoke-EmulatorAdmin GET login/requests) | ForEach-Object { $_ } }

    function Get-IdentityHeader { (Invoke-EmulatorAdmin GET login).identityHeader }

    # Every credential the emulator's login side handed out so far (access, refresh and device codes, authorization codes) and the X-IDENTITY-HEADER value.
    function Get-IssuedCredential { @(Invoke-EmulatorAdmin GET login/issued) | ForEach-Object { $_ } | ForEach-Object value; Get-IdentityHeader }

    # Sets (or, for $null, removes) environment variables for one step; Restore-SignInVariable puts back what the run
    # started with. (A $null passed to a .NET string becomes '', which would leave the variable set but empty.)
    function Set-ProcessVariable([string] $Name, [AllowNull()] $Value) {
        [Environment]::SetEnvironmentVariable($Name, $(if ($null -eq $Value) { [NullString]::Value } else { [string] $Value }))
    }
    function Set-SignInVariable([hashtable] $Values) { foreach ($name in $Values.Keys) { Set-ProcessVariable $name $Values[$name] } }
    function Restore-SignInVariable { foreach ($name in $SavedVariables.Keys) { Set-ProcessVariable $name $SavedVariables[$name] } }

    # A self-signed certificate with its exportable private key.
    function New-TestCertificate {
        param([string] $Subject = 'CN=MgLicense sign-in test', [DateTimeOffset] $NotBefore = [DateTimeOffset]::Now.AddMinutes(-5),
            [DateTimeOffset] $NotAfter = [DateTimeOffset]::Now.AddDays(1), [switch] $Persist)
        $rsa = [System.Security.Cryptography.RSA]::Create(2048)
        try {
            $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new($Subject, $rsa,
                [System.Security.Cryptography.HashAlgorithmName]::SHA256, [System.Security.Cryptography.RSASignaturePadding]::Pkcs1)
            $made = $request.CreateSelfSigned($NotBefore, $NotAfter)
            $flags = [System.Security.Cryptography.X509Certificates.X509KeyStorageFlags]::Exportable
            if ($Persist) { $flags = $flags -bor [System.Security.Cryptography.X509Certificates.X509KeyStorageFlags]::PersistKeySet }
            [System.Security.Cryptography.X509Certificates.X509CertificateLoader]::LoadPkcs12($made.Export('Pfx', 'pfx-pass'), 'pfx-pass', $flags)
            $made.Dispose()
        } finally {
            $rsa.Dispose()
        }
    }

    function ConvertTo-Base64Url([byte[]] $Bytes) { [Convert]::ToBase64String($Bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_') }

    # The private key's PKCS#8 base64 and each PEM line of it, which must appear nowhere.
    function Get-KeyMaterial($Certificate) {
        $key = [System.Security.Cryptography.X509Certificates.RSACertificateExtensions]::GetRSAPrivateKey($Certificate)
        try {
            $key.ExportPkcs8PrivateKeyPem().Split("`n") | Where-Object { $_.Length -gt 20 -and -not $_.StartsWith('-----') }
            [Convert]::ToBase64String($key.ExportPkcs8PrivateKey())
            [Convert]::ToBase64String($key.ExportRSAPrivateKey()).Substring(0, 64)
            'PRIVATE KEY'
        } finally {
            $key.Dispose()
        }
    }

    # What a console shows: Invoke-ChildPwsh -WithModule, with the variables a script here uses.
    $script:ChildVariables = @{ environment = 'Emulator'; user = $TestUsers[0].id; tenant = $TenantId }

    # The method signed in and worked (one success, one 404), and no stream, error, header or console line holds a credential.
    function Assert-WorkedWithoutLeak($Run, [string[]] $Console, [string] $Method, [string[]] $Secrets = @()) {
        $Run.Terminating | Should -BeNullOrEmpty -Because $Method
        @($Run.Output | Where-Object { $_.PSObject.Properties['Id'] -and $_.Id -eq $TestUsers[0].id }).Count | Should -BeGreaterThan 0 -Because $Method
        $Run.Errors | Should -HaveCount 1 -Because "$Method`: $($Run.Errors | ForEach-Object { "$($_.FullyQualifiedErrorId) $($_.Exception.Message)" })"
        $Run.Errors[0].ErrorDetails | Should -Not -BeNullOrEmpty -Because $Method
        $Run.Verbose | Should -Not -BeNullOrEmpty -Because $Method
        $Run.Debug | Should -Not -BeNullOrEmpty -Because $Method
        $headers = $Run.Variables['h']
        $headers | Should -BeOfType [System.Collections.IDictionary] -Because $Method
        $headers.Count | Should -BeGreaterThan 0 -Because $Method
        $Console | Should -Not -BeNullOrEmpty -Because "$Method shows the calls on the console"
        $texts = [System.Collections.Generic.List[string]]::new()
        foreach ($entry in $headers.GetEnumerator()) { $texts.Add("$($entry.Key): $(@($entry.Value) -join ', ')") }
        foreach ($o in $Run.Output) {
            $texts.Add("$o")
            foreach ($p in $o.PSObject.Properties) { $texts.Add("$($p.Name)=$(@($p.Value) -join ' ')") }
        }

        foreach ($t in $Run.Warnings + $Run.Verbose + $Run.Debug + $Run.Information + $Console) { $texts.Add($t) }
        foreach ($e in $Run.AllErrors) {
            $texts.Add("$e"); $texts.Add("$($e.Exception)"); $texts.Add("$($e.ErrorDetails.Message)"); $texts.Add("$($e.ErrorDetails.RecommendedAction)"); $texts.Add("$($e.TargetObject)")
        }

        $all = @(@($Secrets) + @(Get-IssuedCredential) | Where-Object { $_.Length -ge 8 })
        $leaks = foreach ($text in $texts) {
            foreach ($secret in $all) { if ($text.Contains($secret, [StringComparison]::Ordinal)) { "a credential ($($secret.Substring(0, 4))...) appears in: $text" } }
            if ($text.Contains('eyJ', [StringComparison]::Ordinal)) { "a JWT appears in: $text" }
        }

        $leaks | Should -BeNullOrEmpty -Because $Method
    }

    # Console scripts build their credentials from these variables, as a runbook does.
    $script:ConsoleCredential = '$credential = [pscredential]::new($env:MGLICENSE_TEST_APP, (ConvertTo-SecureString $env:MGLICENSE_TEST_SECRET -AsPlainText -Force)); '
}

AfterAll {
    Restore-SignInVariable
    Stop-TestEmulator $script:Emulator
}

Describe 'App-only sign-in' {
    BeforeEach {
        $environment = 'Emulator'
        $user = $TestUsers[0].id
        $tenant = $TenantId
    }

    AfterEach {
        Disconnect-MgGraph -ErrorAction Ignore | Out-Null
        Restore-SignInVariable
    }

    It 'a client secret connects app-only and reprocesses' {
        $app = [guid]::NewGuid().ToString()
        Register-App @{ appId = $app; secrets = @(@{ value = $Secret }); roles = @('User.ReadWrite.All') }
        $credential = [pscredential]::new($app, (ConvertTo-TestSecureString $Secret))
        $script = 'Connect-MgGraph -TenantId $tenant -ClientSecretCredential $credential -Environment $environment -NoWelcome -Verbose -Debug; ' +
            'Get-MgContext; Invoke-MgLicenseUser -UserId $user -Debug -Verbose'

        $run = Invoke-Captured ([scriptblock]::Create($script))

        $run.AllErrors | Should -HaveCount 0
        $run.Output[0].AuthType | Should -BeExactly 'AppOnly'
        $run.Output[0].TokenCredentialType | Should -BeExactly 'ClientSecret'
        $run.Output[0].ClientId | Should -BeExactly $app
        $run.Output[1].Id | Should -BeExactly $TestUsers[0].id
        Disconnect-MgGraph | Out-Null
        $console = @(Invoke-ChildPwsh -WithModule -Variable $ChildVariables ($ConsoleCredential + $script) @{ MGLICENSE_TEST_APP = $app; MGLICENSE_TEST_SECRET = $Secret })
        ($console -join "`n") | Should -BeLikeExactly "*$app*" -Because 'the console shows the context'
        Assert-NoSecret $run $console $Secret, 'eyJ'
    }

    It 'a wrong secret is an authentication error that says what to check, written as the official cmdlet writes it: not terminating' {
        $app = [guid]::NewGuid().ToString()
        Register-App @{ appId = $app; secrets = @(@{ value = $Secret }); roles = @('User.ReadWrite.All') }
        $wrong = $Secret + '-wrong'
        $credential = [pscredential]::new($app, (ConvertTo-TestSecureString $wrong))
        $script = 'Connect-MgGraph -TenantId $tenant -ClientSecretCredential $credential -Environment $environment -Debug -Verbose'
        Connect-MgGraph -AccessToken (ConvertTo-TestSecureString (New-TestToken User.ReadWrite.All)) -Environment $environment -NoWelcome

        $run = Invoke-Captured ([scriptblock]::Create($script))

        # As the official module (ConnectMgGraph.cs: LogoutAsync on error), a failed sign-in ends the connection there was.
        @(Get-MgContext) | Should -HaveCount 0
        $run.AllErrors | Should -HaveCount 1
        $error1 = $run.AllErrors[0]
        # ConnectMgGraph.cs writes whatever fails in the sign-in as WriteError(new ErrorRecord(ex, string.Empty,
        # ErrorCategory.NotSpecified, null)): no error id, no target, not terminating.
        $run.Terminating | Should -BeNullOrEmpty
        $error1.Exception | Should -BeOfType [System.Security.Authentication.AuthenticationException]
        $error1.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::NotSpecified)
        $error1.FullyQualifiedErrorId | Should -BeExactly 'MgLicense.Commands.ConnectMgGraph'
        $error1.TargetObject | Should -BeNullOrEmpty
        $error1.Exception.Message | Should -BeLikeExactly '*AADSTS7000215*'
        $error1.Exception.Message | Should -BeLikeExactly "*secret's value*"
        # As with the official cmdlet, a script that tries one sign-in quietly and checks Get-MgContext goes on to its next one,
        # and try/catch needs -ErrorAction Stop.
        $quiet = Invoke-Captured { Connect-MgGraph -TenantId $tenant -ClientSecretCredential $credential -Environment $environment -ErrorAction SilentlyContinue; "connected: $(@(Get-MgContext).Count)" }
        $tried = Invoke-Captured { try { Connect-MgGraph -TenantId $tenant -ClientSecretCredential $credential -Environment $environment; 'went on' } catch { 'caught' } }
        $stopped = Invoke-Captured { try { Connect-MgGraph -TenantId $tenant -ClientSecretCredential $credential -Environment $environment -ErrorAction Stop; 'went on' } catch { 'caught' } }
        $quiet.AllErrors | Should -HaveCount 0
        $quiet.Output | Should -Be @('connected: 0')
        $tried.Output | Should -Be @('went on')
        $tried.Errors | Should -HaveCount 1
        $stopped.Output | Should -Be @('caught')
        $console = @(Invoke-ChildPwsh -WithModule -Variable $ChildVariables ($ConsoleCredential + $script) @{ MGLICENSE_TEST_APP = $app; MGLICENSE_TEST_SECRET = $wrong })
        ($console -join "`n") | Should -BeLikeExactly '*AADSTS7000215*' -Because 'the console shows the error'
        Assert-NoSecret $run $console $wrong, $Secret, 'eyJ'
    }

    It 'Ctrl+C during a sign-in (a device code nobody enters) stops it and keeps the connection there was, where a failed one ends it' {
        # A difference from the official cmdlet (docs/differences.md), which ends the connection on Ctrl+C as on any
        # failure: a person who cancels a second sign-in has not asked to lose the first.
        $app = [guid]::NewGuid().ToString()
        Register-App @{ appId = $app; secrets = @(@{ value = $Secret }); roles = @('User.ReadWrite.All') }
        $credential = [pscredential]::new($app, (ConvertTo-TestSecureString $Secret))
        Connect-MgGraph -TenantId $tenant -ClientSecretCredential $credential -Environment $environment -NoWelcome -ErrorAction Stop
        $before = Get-MgContext
        $asked = @(Get-LoginRequest | Where-Object endpoint -EQ 'devicecode').Count
        # The second sign-in runs in another runspace of this process (the connection is the process's: tests/Connection.Tests.ps1).
        # Stopping that pipeline is what Ctrl+C does at the console: PowerShell calls the running cmdlet's StopProcessing.
        $shell = [powershell]::Create()
        $output = [System.Management.Automation.PSDataCollection[psobject]]::new()
        $running = $null
        try {
            $null = $shell.AddScript('param($Manifest, $Tenant, $Environment) Import-Module $Manifest -ErrorAction Stop; ' +
                'Connect-MgGraph -UseDeviceCode -TenantId $Tenant -Scopes User.ReadWrite.All -ContextScope Process -Environment $Environment -NoWelcome').
                AddArgument($ModuleManifest).AddArgument($tenant).AddArgument($environment)
            $running = $shell.BeginInvoke([System.Management.Automation.PSDataCollection[psobject]]::new(), $output)
            # Waits for the prompt: from then on the sign-in waits for a person to enter the code. The limits only keep a
            # sign-in that does not wait, or does not stop, from hanging the run.
            $waited = [System.Diagnostics.Stopwatch]::StartNew()
            while ($output.Count -eq 0 -and -not $running.IsCompleted -and $waited.Elapsed.TotalSeconds -lt 60) {
                Start-Sleep -Milliseconds 100
            }
            $prompt = if ($output.Count -gt 0) { "$($output[0])" }
            $waiting = $shell.InvocationStateInfo.State
            $stopping = $shell.BeginStop($null, $null)
            $ended = $running.AsyncWaitHandle.WaitOne(60000) -and $stopping.AsyncWaitHandle.WaitOne(60000)
            $caught = $null
            if ($ended) {
                try { $null = $shell.EndInvoke($running) } catch { $caught = $_.Exception }
                if ($caught -is [System.Management.Automation.MethodInvocationException]) { $caught = $caught.InnerException }
            }
            $state = $shell.InvocationStateInfo.State
            # ReadAll, as enumerating a stream of a pipeline that did not stop would wait for it.
            $errors = @($shell.Streams.Error.ReadAll())
        } finally {
            # A sign-in that did not stop is left to the process's end: disposing it would wait for it.
            if ($null -eq $running -or $running.IsCompleted) {
                $shell.Runspace.Dispose()
                $shell.Dispose()
            }
        }

        $prompt | Should -BeLikeExactly '*enter the code *'
        @(Get-LoginRequest | Where-Object endpoint -EQ 'devicecode').Count | Should -Be ($asked + 1)
        $waiting | Should -Be ([System.Management.Automation.PSInvocationState]::Running)
        $ended | Should -BeTrue -Because 'the sign-in stops when asked, without waiting for the code'
        $caught | Should -BeOfType [System.Management.Automation.PipelineStoppedException]
        $state | Should -Be ([System.Management.Automation.PSInvocationState]::Stopped)
        $errors | Should -HaveCount 0 -Because 'a stopped sign-in is not a failed one'
        $after = Get-MgContext
        @($after) | Should -HaveCount 1 -Because 'the connection there was stays'
        foreach ($property in $before.PSObject.Properties) {
            "$($after.($property.Name))" | Should -BeExactly "$($property.Value)" -Because "the context's $($property.Name) is the first sign-in's"
        }
        $after.ClientId | Should -BeExactly $app
        $after.AuthType | Should -Be 'AppOnly'
        $after.TokenCredentialType | Should -Be 'ClientSecret'
        $mark = Get-RequestMark
        $run = Invoke-Captured { Invoke-MgLicenseUser -UserId $user }
        $run.AllErrors | Should -HaveCount 0
        $run.Output.Id | Should -BeExactly $TestUsers[0].id
        @(Get-RequestSince $mark) | Should -HaveCount 1
    }

    # Skipped under Wine: Wine 8's CNG has no usable RSA key (BeforeDiscovery above).
    It 'certificates from an object, a PFX and a PEM file (its key plain or encrypted) all sign in: <How>' -Skip:$IsWine -ForEach @(
        @{ How = '-Certificate $certificate' }
        @{ How = '-CertificatePath $pfx -CertificatePassword $password' }
        @{ How = '-CertificatePath $pem' }
        @{ How = '-CertificatePath $encryptedPem -CertificatePassword $password' }
    ) {
        $certificate = New-TestCertificate
        $app = [guid]::NewGuid().ToString()
        Register-App @{ appId = $app; certificates = @([Convert]::ToBase64String($certificate.RawData)); roles = @('User.ReadWrite.All') }
        $dir = Join-Path ([IO.Path]::GetTempPath()) "mgl-signin-$([guid]::NewGuid())"
        $null = New-Item -ItemType Directory $dir
        try {
            $pfx = Join-Path $dir 'app.pfx'
            $pem = Join-Path $dir 'app.pem'
            $encryptedPem = Join-Path $dir 'encrypted.pem'
            [IO.File]::WriteAllBytes($pfx, $certificate.Export('Pfx', 'pfx-pass'))
            $key = [System.Security.Cryptography.X509Certificates.RSACertificateExtensions]::GetRSAPrivateKey($certificate)
            [IO.File]::WriteAllText($pem, $certificate.ExportCertificatePem() + "`n" + $key.ExportPkcs8PrivateKeyPem() + "`n")
            # PBES2 with PBKDF2 HMAC-SHA256 and AES-256-CBC, as .NET writes it; the engine decrypts it.
            $pbe = [System.Security.Cryptography.PbeParameters]::new([System.Security.Cryptography.PbeEncryptionAlgorithm]::Aes256Cbc, [System.Security.Cryptography.HashAlgorithmName]::SHA256, 100000)
            [IO.File]::WriteAllText($encryptedPem, $certificate.ExportCertificatePem() + "`n" + $key.ExportEncryptedPkcs8PrivateKeyPem([string] 'pfx-pass', $pbe) + "`n")
            $key.Dispose()
            $password = ConvertTo-TestSecureString 'pfx-pass'
            $script = "Connect-MgGraph -ClientId `$app -TenantId `$tenant $How -Environment `$environment -NoWelcome; (Get-MgContext).TokenCredentialType; Invoke-MgLicenseUser -UserId `$user"

            $run = Invoke-Captured ([scriptblock]::Create($script))

            $run.AllErrors | Should -HaveCount 0
            $run.Output[0] | Should -BeExactly 'ClientCertificate'
            $run.Output[1].Id | Should -BeExactly $TestUsers[0].id
            Disconnect-MgGraph | Out-Null
            $console = @(Invoke-ChildPwsh -WithModule -Variable $ChildVariables ('$app = $env:MGLICENSE_TEST_APP; $pfx = $env:MGLICENSE_TEST_PFX; $pem = $env:MGLICENSE_TEST_PEM; $encryptedPem = $env:MGLICENSE_TEST_ENCRYPTED_PEM; ' +
                    '$password = ConvertTo-SecureString $env:MGLICENSE_TEST_PASSWORD -AsPlainText -Force; ' +
                    '$certificate = [System.Security.Cryptography.X509Certificates.X509CertificateLoader]::LoadPkcs12FromFile($pfx, $env:MGLICENSE_TEST_PASSWORD); ' + $script) `
                    @{ MGLICENSE_TEST_APP = $app; MGLICENSE_TEST_PFX = $pfx; MGLICENSE_TEST_PEM = $pem; MGLICENSE_TEST_ENCRYPTED_PEM = $encryptedPem; MGLICENSE_TEST_PASSWORD = 'pfx-pass' })
            ($console -join "`n") | Should -BeLikeExactly '*ClientCertificate*' -Because 'the console shows the context'
            Assert-NoSecret $run $console 'pfx-pass', 'PRIVATE KEY', 'eyJ'
        } finally {
            Remove-Item -Recurse -Force $dir
            $certificate.Dispose()
        }
    }

    # An unencrypted PEM goes to the engine as a path and is signed with there, so this one runs under Wine too; the
    # certificate is a fixture (tests/data/signin/README.md) because Wine cannot make one.
    It '-CertificatePath resolves like any PowerShell path (relative, a drive of its own, either separator, spaces and non-ASCII), CRLF files sign in, a missing file is named in full' {
        $text = [IO.File]::ReadAllText((Join-Path $RepoRoot 'tests/data/signin/test-only-app.pem')).Replace("`r`n", "`n")
        $der = [regex]::Match($text, '-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----', 'Singleline').Groups[1].Value -replace '\s', ''
        $app = [guid]::NewGuid().ToString()
        Register-App @{ appId = $app; certificates = @($der); roles = @('User.ReadWrite.All') }
        $dir = Join-Path ([IO.Path]::GetTempPath()) "mgl cert $([char] 0xFC) $([guid]::NewGuid())"
        $null = New-Item -ItemType Directory (Join-Path $dir 'sub')
        [IO.File]::WriteAllText((Join-Path $dir 'sub/lf.pem'), $text)
        [IO.File]::WriteAllText((Join-Path $dir 'sub/crlf.pem'), $text.Replace("`n", "`r`n"))
        $null = New-PSDrive -Name MglCert -PSProvider FileSystem -Root $dir -Scope Global
        $sep = [IO.Path]::DirectorySeparatorChar
        Push-Location $dir
        try {
            foreach ($path in @('sub/lf.pem', "sub${sep}crlf.pem", ".${sep}sub${sep}lf.pem", 'MglCert:/sub/crlf.pem', (Join-Path $dir 'sub/lf.pem'))) {
                $run = Invoke-Captured { Connect-MgGraph -ClientId $app -TenantId $tenant -CertificatePath $path -Environment $environment -NoWelcome; (Get-MgContext).TokenCredentialType; Invoke-MgLicenseUser -UserId $user }

                $run.AllErrors | Should -HaveCount 0 -Because "$path`: $($run.AllErrors)"
                $run.Output[0] | Should -BeExactly 'ClientCertificate' -Because $path
                $run.Output[1].Id | Should -BeExactly $TestUsers[0].id -Because $path
                Disconnect-MgGraph | Out-Null
            }

            $missing = Invoke-Captured { Connect-MgGraph -ClientId $app -TenantId $tenant -CertificatePath "sub${sep}missing.pem" -Environment $environment -NoWelcome }
            "$($missing.AllErrors)" | Should -BeLikeExactly "*'$(Join-Path $dir "sub${sep}missing.pem")'*"
        } finally {
            Pop-Location
            Remove-PSDrive -Name MglCert -Scope Global
            Remove-Item -Recurse -Force -LiteralPath $dir
        }
    }

    # Skipped under Wine: Wine 8's CNG has no usable RSA key (BeforeDiscovery above).
    It 'environment variables naming a PFX with its password sign in; a wrong password is named' -Skip:$IsWine {
        $certificate = New-TestCertificate
        $app = [guid]::NewGuid().ToString()
        Register-App @{ appId = $app; certificates = @([Convert]::ToBase64String($certificate.RawData)); roles = @('User.ReadWrite.All') }
        $dir = Join-Path ([IO.Path]::GetTempPath()) "mgl-envcert-$([guid]::NewGuid())"
        $null = New-Item -ItemType Directory $dir
        try {
            $pfx = Join-Path $dir 'app.pfx'
            [IO.File]::WriteAllBytes($pfx, $certificate.Export('Pfx', 'env-pfx-pass'))
            $variables = @{ AZURE_TENANT_ID = $TenantId; AZURE_CLIENT_ID = $app; AZURE_CLIENT_CERTIFICATE_PATH = $pfx; AZURE_CLIENT_CERTIFICATE_PASSWORD = 'env-pfx-pass'; AZURE_CLIENT_SECRET = $null }
            Set-SignInVariable $variables
            $script = 'Connect-MgGraph -EnvironmentVariable -Environment $environment -NoWelcome; (Get-MgContext).TokenCredentialType; Invoke-MgLicenseUser -UserId $user'

            $run = Invoke-Captured ([scriptblock]::Create($script))

            $run.AllErrors | Should -HaveCount 0
            $run.Output[0] | Should -BeExactly 'EnvironmentVariable'
            $run.Output[1].Id | Should -BeExactly $TestUsers[0].id
            Disconnect-MgGraph | Out-Null
            $console = @(Invoke-ChildPwsh -WithModule -Variable $ChildVariables $script $variables)
            ($console -join "`n") | Should -BeLikeExactly '*EnvironmentVariable*' -Because 'the console shows the context'
            Assert-NoSecret $run $console 'env-pfx-pass', 'PRIVATE KEY', 'eyJ'

            # The wrong password is refused by name, and nothing is signed in with it.
            Set-SignInVariable @{ AZURE_CLIENT_CERTIFICATE_PASSWORD = 'not-the-password' }
            $wrongScript = 'Connect-MgGraph -EnvironmentVariable -Environment $environment -NoWelcome'
            $wrong = Invoke-Captured ([scriptblock]::Create($wrongScript))

            $wrong.AllErrors | Should -HaveCount 1
            $wrong.AllErrors[0].Exception.Message | Should -BeLikeExactly "*$([WildcardPattern]::Escape($pfx))*"
            $variables.AZURE_CLIENT_CERTIFICATE_PASSWORD = 'not-the-password'
            $wrongConsole = @(Invoke-ChildPwsh -WithModule -Variable $ChildVariables $wrongScript $variables)
            ($wrongConsole -join "`n") | Should -BeLikeExactly "*$([WildcardPattern]::Escape($pfx))*" -Because 'the console shows the error'
            Assert-NoSecret $wrong $wrongConsole 'not-the-password', 'env-pfx-pass', 'eyJ'
        } finally {
            Remove-Item -Recurse -Force $dir
            $certificate.Dispose()
        }
    }

    # Skipped under Wine: Wine 8's CNG has no usable RSA key (BeforeDiscovery above).
    It 'environment variables naming a PEM whose key is encrypted sign in with its password; a wrong one is named' -Skip:$IsWine {
        $certificate = New-TestCertificate
        $app = [guid]::NewGuid().ToString()
        Register-App @{ appId = $app; certificates = @([Convert]::ToBase64String($certificate.RawData)); roles = @('User.ReadWrite.All') }
        $dir = Join-Path ([IO.Path]::GetTempPath()) "mgl-envpem-$([guid]::NewGuid())"
        $null = New-Item -ItemType Directory $dir
        try {
            $pem = Join-Path $dir 'app.pem'
            $key = [System.Security.Cryptography.X509Certificates.RSACertificateExtensions]::GetRSAPrivateKey($certificate)
            # PBES2 with PBKDF2 HMAC-SHA1 and AES-128-CBC, as older tools write it.
            $pbe = [System.Security.Cryptography.PbeParameters]::new([System.Security.Cryptography.PbeEncryptionAlgorithm]::Aes128Cbc, [System.Security.Cryptography.HashAlgorithmName]::SHA1, 2048)
            [IO.File]::WriteAllText($pem, $certificate.ExportCertificatePem() + "`n" + $key.ExportEncryptedPkcs8PrivateKeyPem([string] 'env-pem-pass', $pbe) + "`n")
            $key.Dispose()
            $variables = @{ AZURE_TENANT_ID = $TenantId; AZURE_CLIENT_ID = $app; AZURE_CLIENT_CERTIFICATE_PATH = $pem; AZURE_CLIENT_CERTIFICATE_PASSWORD = 'env-pem-pass'; AZURE_CLIENT_SECRET = $null }
            Set-SignInVariable $variables
            $script = 'Connect-MgGraph -EnvironmentVariable -Environment $environment -NoWelcome; (Get-MgContext).TokenCredentialType; Invoke-MgLicenseUser -UserId $user'

            $run = Invoke-Captured ([scriptblock]::Create($script))

            $run.AllErrors | Should -HaveCount 0
            $run.Output[0] | Should -BeExactly 'EnvironmentVariable'
            $run.Output[1].Id | Should -BeExactly $TestUsers[0].id
            Disconnect-MgGraph | Out-Null
            $console = @(Invoke-ChildPwsh -WithModule -Variable $ChildVariables $script $variables)
            ($console -join "`n") | Should -BeLikeExactly '*EnvironmentVariable*' -Because 'the console shows the context'
            Assert-NoSecret $run $console 'env-pem-pass', 'PRIVATE KEY', 'eyJ'

            # The wrong password is refused by name, and nothing is sent.
            Set-SignInVariable @{ AZURE_CLIENT_CERTIFICATE_PASSWORD = 'not-the-password' }
            $mark = Get-RequestMark
            $wrong = Invoke-Captured { Connect-MgGraph -EnvironmentVariable -Environment $environment -NoWelcome }

            @(Get-RequestSince $mark) | Should -HaveCount 0
            $wrong.AllErrors | Should -HaveCount 1
            $wrong.AllErrors[0].Exception.Message | Should -BeLikeExactly "*$([WildcardPattern]::Escape($pem))*the password does not open the key*"
            Assert-NoSecret $wrong @() 'not-the-password', 'env-pem-pass', 'eyJ'
        } finally {
            Restore-SignInVariable
            Remove-Item -Recurse -Force $dir
            $certificate.Dispose()
        }
    }

    # Skipped under Wine: Wine 8's CNG has no usable RSA key (BeforeDiscovery above).
    It 'certificate and secret mistakes are named before anything is sent: <Expected>' -Skip:$IsWine -ForEach @(
        @{ Script = 'Connect-MgGraph -ClientId $app -TenantId $tenant -CertificatePath $encrypted -Environment $environment -NoWelcome'; Expected = 'encrypted private key' }
        @{ Script = 'Connect-MgGraph -ClientId $app -TenantId $tenant -CertificateThumbprint 0011 -CertificatePassword $password -Environment $environment -NoWelcome'; Expected = '-CertificatePassword opens the file given with -CertificatePath' }
        @{ Script = 'Connect-MgGraph -TenantId $tenant -ClientSecretCredential $credential -Environment $environment -NoWelcome'; Expected = "must be the application's client id" }
    ) {
        $certificate = New-TestCertificate
        $dir = Join-Path ([IO.Path]::GetTempPath()) "mgl-badcert-$([guid]::NewGuid())"
        $null = New-Item -ItemType Directory $dir
        try {
            $encrypted = Join-Path $dir 'encrypted.pem'
            $key = [System.Security.Cryptography.X509Certificates.RSACertificateExtensions]::GetRSAPrivateKey($certificate)
            $pbe = [System.Security.Cryptography.PbeParameters]::new([System.Security.Cryptography.PbeEncryptionAlgorithm]::Aes256Cbc, [System.Security.Cryptography.HashAlgorithmName]::SHA256, 1000)
            [IO.File]::WriteAllText($encrypted, $certificate.ExportCertificatePem() + "`n" + $key.ExportEncryptedPkcs8PrivateKeyPem([string] 'pem-pass', $pbe) + "`n")
            $key.Dispose()
            $app = [guid]::NewGuid().ToString()
            $password = ConvertTo-TestSecureString 'pem-pass'
            $credential = [pscredential]::new(' ', (ConvertTo-TestSecureString 'a-secret'))
            $mark = Get-RequestMark

            $run = Invoke-Captured ([scriptblock]::Create($Script))

            @(Get-RequestSince $mark) | Should -HaveCount 0
            $run.AllErrors | Should -HaveCount 1
            $run.AllErrors[0].Exception.Message | Should -BeLikeExactly "*$([WildcardPattern]::Escape($Expected))*"
        } finally {
            Remove-Item -Recurse -Force $dir
            $certificate.Dispose()
        }
    }

    It '$env:HTTPS_PROXY carries sign-in to remote authorities, not to loopback' {
        # The proxy refuses every tunnel, so nothing leaves the machine and no remote name is looked up.
        $proxy = New-RefusingProxy
        try {
            $app = [guid]::NewGuid().ToString()
            Register-App @{ appId = $app; secrets = @(@{ value = $Secret }); roles = @('User.ReadWrite.All') }
            $credential = [pscredential]::new($app, (ConvertTo-TestSecureString $Secret))
            $env:HTTPS_PROXY = $proxy.Url

            $direct = Invoke-Captured { Connect-MgGraph -TenantId $tenant -ClientSecretCredential $credential -Environment $environment -NoWelcome; (Get-MgContext).AuthType }

            $direct.AllErrors | Should -HaveCount 0
            $proxy.Seen | Should -HaveCount 0

            $remoteScript = '$null = Add-MgEnvironment -Name ProxiedCloud -GraphEndpoint https://graph.example.invalid -AzureADEndpoint https://login.example.invalid; ' +
                'try { Connect-MgGraph -TenantId $tenant -ClientSecretCredential $credential -Environment ProxiedCloud -NoWelcome } ' +
                'finally { Remove-MgEnvironment -Name ProxiedCloud }'
            $remote = Invoke-Captured ([scriptblock]::Create($remoteScript))

            $remote.AllErrors | Should -Not -BeNullOrEmpty
            ($proxy.Seen.ToArray() -join '|') | Should -BeExactly 'CONNECT login.example.invalid:443 HTTP/1.1'
            $console = @(Invoke-ChildPwsh -WithModule -Variable $ChildVariables ($ConsoleCredential + $remoteScript) @{ MGLICENSE_TEST_APP = $app; MGLICENSE_TEST_SECRET = $Secret; HTTPS_PROXY = $proxy.Url })
            ($console -join "`n") | Should -BeLikeExactly '*login.example.invalid*' -Because 'the console shows the error'
            Assert-NoSecret $remote $console $Secret, 'eyJ'
        } finally {
            $proxy.Dispose()
        }
    }

    It 'a managed identity uses the overridden IMDS endpoint and shows in the context as the official module shows it; Remove-MgEnvironment forgets an environment and writes it' {
        $app = [guid]::NewGuid().ToString()
        Register-App @{ appId = $app; managedIdentity = 'user'; roles = @('User.ReadWrite.All') }
        # IMDS is asked only where no App Service / Automation endpoint is set (the Wine lane points one at a closed port).
        Set-SignInVariable @{ IDENTITY_ENDPOINT = $null; IDENTITY_HEADER = $null; MGLICENSE_IMDS_ENDPOINT = "$($Emulator.Url)/metadata/identity/oauth2/token" }

        $run = Invoke-Captured { Connect-MgGraph -Identity -ClientId $app -Environment $environment -NoWelcome; Get-MgContext; Invoke-MgLicenseUser -UserId $user }

        $run.AllErrors | Should -HaveCount 0
        # The official module (ConnectMgGraph.cs, issue #2547): AuthType ManagedIdentity, ManagedIdentityId the -ClientId
        # (MSI@50342 for the system-assigned identity), ContextScope Process.
        $context = $run.Output[0]
        $context.AuthType | Should -Be ([Microsoft.Graph.PowerShell.Authentication.AuthenticationType]::ManagedIdentity)
        $context.AuthType | Should -BeOfType [Microsoft.Graph.PowerShell.Authentication.AuthenticationType]
        $context.TokenCredentialType | Should -Be ([Microsoft.Graph.PowerShell.Authentication.TokenCredentialType]::ManagedIdentity)
        $context.ManagedIdentityId | Should -BeExactly $app
        $context.ContextScope | Should -Be ([Microsoft.Graph.PowerShell.Authentication.ContextScope]::Process)
        $run.Output[1].Id | Should -BeExactly $TestUsers[0].id

        Disconnect-MgGraph | Out-Null
        $system = Invoke-Captured { Connect-MgGraph -Identity -Environment $environment -NoWelcome; (Get-MgContext).ManagedIdentityId }
        if ($system.AllErrors.Count -eq 0) { $system.Output | Should -BeExactly 'MSI@50342' }

        $removed = Invoke-Captured {
            $null = Add-MgEnvironment -Name Temporary -GraphEndpoint https://graph.example.test -AzureADEndpoint https://login.example.test
            Remove-MgEnvironment -Name Temporary; Get-MgEnvironment -Name Temp*
        }

        $removed.AllErrors | Should -HaveCount 0
        # As the official cmdlet: Remove-MgEnvironment writes the environment it removed.
        $removed.Output | Should -HaveCount 1
        $removed.Output[0].Name | Should -BeExactly 'Temporary'
        $removed.Output[0].GraphEndpoint | Should -BeExactly 'https://graph.example.test'
    }
}

Describe 'No credential in any stream' {
    # Each sign-in method runs with -Debug -Verbose, a call that succeeds and one that fails, in this session and on a
    # console; every stream, error, the -ResponseHeadersVariable dictionary and every console line is searched for
    # every credential the emulator's login side issued or was given.
    BeforeEach {
        $environment = 'Emulator'
        $user = $TestUsers[0].id
        $tenant = $TenantId
        # No sign-in variable is set unless a step sets it.
        $script:Cleared = @{}
        foreach ($name in $SignInVariables) { $Cleared[$name] = $null }
        Set-SignInVariable $Cleared
    }

    AfterEach {
        Disconnect-MgGraph -ErrorAction Ignore | Out-Null
        Restore-SignInVariable
    }

    It 'no sign-in method shows a credential' {
        $secretApp = $app = [guid]::NewGuid().ToString()
        $envSecret = 'Kx7~' + [guid]::NewGuid().ToString('N') + '.envSecret'
        Register-App @{ appId = $app; secrets = @(@{ value = $Secret }, @{ value = $envSecret }); roles = @('User.ReadWrite.All') }
        $identity = [guid]::NewGuid().ToString()
        Register-App @{ appId = $identity; managedIdentity = 'user'; roles = @('User.ReadWrite.All') }
        # Approves the device code the sign-in shows, as the person at the console would; from a warning or a console line.
        $approved = [System.Collections.Generic.List[string]]::new()
        $approve = {
            param($shown)
            $message = if ($shown -is [System.Management.Automation.WarningRecord]) { $shown.Message } elseif ($shown -is [string]) { $shown }
            $at = if ($message) { $message.IndexOf('enter the code ', [StringComparison]::Ordinal) } else { -1 }
            if ($at -ge 0) {
                $code = ($message.Substring($at + 'enter the code '.Length) -split '[ .]')[0]
                $null = Invoke-EmulatorAdmin POST "devicecodes/$code/approve" @{ userId = $TestUsers[0].id }
                $approved.Add($code)
            }
        }

        $methods = @(
            @{ Name = '-ClientSecretCredential'; Connect = 'Connect-MgGraph -TenantId $tenant -ClientSecretCredential $credential -Environment $environment -NoWelcome'
                Variables = @{}; Console = $ConsoleCredential; ConsoleVariables = @{ MGLICENSE_TEST_SECRET = $Secret }; Secrets = @($Secret) }
            @{ Name = '-EnvironmentVariable'; Connect = 'Connect-MgGraph -EnvironmentVariable -Environment $environment -NoWelcome'
                Variables = @{ AZURE_TENANT_ID = $TenantId; AZURE_CLIENT_ID = $app; AZURE_CLIENT_SECRET = $envSecret }; Secrets = @($envSecret, $Secret) }
            @{ Name = '-Identity (IDENTITY_ENDPOINT)'; Connect = 'Connect-MgGraph -Identity -ClientId $app -Environment $environment -NoWelcome'; App = $identity
                Variables = @{ IDENTITY_ENDPOINT = "$($Emulator.Url)/msi/token"; IDENTITY_HEADER = (Get-IdentityHeader) }; Endpoint = 'identity' }
            @{ Name = '-Identity (IMDS)'; Connect = 'Connect-MgGraph -Identity -ClientId $app -Environment $environment -NoWelcome'; App = $identity
                Variables = @{ MGLICENSE_IMDS_ENDPOINT = "$($Emulator.Url)/metadata/identity/oauth2/token" }; Endpoint = 'imds' }
            # -Debug makes PowerShell inquire on every warning; -WarningAction Continue keeps the browser's a plain warning. The
            # user sign-ins keep nothing for later sessions (-ContextScope Process), so each one here asks again.
            @{ Name = '-UseDeviceCode'; Connect = 'Connect-MgGraph -UseDeviceCode -TenantId $tenant -Scopes User.ReadWrite.All -Environment $environment -ContextScope Process -NoWelcome -WarningAction Continue'
                Variables = @{}; Approve = $true; CredentialType = 'DeviceCode' }
        )
        if (-not $IsWindows) {
            # The "browser" (a shell script): follows the authority's redirect to Connect-MgGraph's loopback listener, never through a proxy.
            $browserDir = Join-Path ([IO.Path]::GetTempPath()) "mgl-browser-$([guid]::NewGuid())"
            $null = New-Item -ItemType Directory $browserDir
            $browser = Join-Path $browserDir 'browser.sh'
            [IO.File]::WriteAllText($browser, "#!/bin/sh`nexec curl --noproxy '*' -s -o /dev/null -L --max-redirs 3 `"`$1`"`n")
            [IO.File]::SetUnixFileMode($browser, [IO.UnixFileMode] 'UserRead, UserWrite, UserExecute')
            $methods += @{ Name = 'interactive browser'; Connect = 'Connect-MgGraph -TenantId $tenant -Scopes User.ReadWrite.All -Environment $environment -ContextScope Process -NoWelcome -WarningAction Continue'
                Variables = @{ MGLICENSE_BROWSER = $browser }; Browser = $true; CredentialType = 'InteractiveBrowser' }
        }

        try {
            foreach ($method in $methods) {
                Set-SignInVariable $Cleared
                Set-SignInVariable $method.Variables
                $credential = [pscredential]::new($secretApp, (ConvertTo-TestSecureString $Secret))
                $app = if ($method.App) { $method.App } else { $secretApp }
                $script = $method.Connect + ' -Debug -Verbose' + $Calls
                $onRecord = if ($method.Approve) { $approve }
                $h = $null
                $approvedBefore = $approved.Count
                if ($method.Browser) { $null = Invoke-EmulatorAdmin POST login/browser @{ userId = $TestUsers[0].id } }

                $run = Invoke-Captured ([scriptblock]::Create($script)) -Keep h -OnRecord $onRecord
                Disconnect-MgGraph -ErrorAction Ignore | Out-Null

                if ($method.Endpoint) { (Get-LoginRequest)[-1].endpoint | Should -BeExactly $method.Endpoint -Because $method.Name }
                if ($method.Approve) { $approved.Count - $approvedBefore | Should -Be 1 -Because 'one device code is shown and approved' }
                if ($method.CredentialType) {
                    @($run.Output | Where-Object { $_ -is [Microsoft.Graph.PowerShell.Authentication.TokenCredentialType] -and $_ -eq $method.CredentialType }).Count | Should -BeGreaterThan 0 -Because $method.Name
                }

                if ($method.Browser) {
                    @(Get-LoginRequest | Where-Object grantType -EQ 'authorization_code').Count | Should -BeGreaterThan 0
                    $null = Invoke-EmulatorAdmin POST login/browser @{ userId = $TestUsers[0].id }
                }

                $consoleVariables = @{ MGLICENSE_TEST_APP = $app } + $Cleared
                foreach ($name in $method.Variables.Keys) { $consoleVariables[$name] = $method.Variables[$name] }
                if ($method.ConsoleVariables) { foreach ($name in $method.ConsoleVariables.Keys) { $consoleVariables[$name] = $method.ConsoleVariables[$name] } }
                $console = @(Invoke-ChildPwsh -WithModule -Variable $ChildVariables ('$app = $env:MGLICENSE_TEST_APP; ' + $method.Console + $script) $consoleVariables -OnLine $(if ($method.Approve) { $approve }))
                if ($method.Approve) { $approved.Count - $approvedBefore | Should -Be 2 -Because 'the console shows a device code too, approved' }
                ($console -join "`n") | Should -BeLikeExactly '*Request_ResourceNotFound*' -Because "$($method.Name) shows the calls on the console"
                Assert-WorkedWithoutLeak $run $console $method.Name $method.Secrets
            }
        } finally {
            if ($browserDir) { Remove-Item -Recurse -Force $browserDir }
        }
    }

    It 'without a browser the interactive sign-in suggests -UseDeviceCode, and nothing is redeemed' {
        $codesBefore = @(Get-LoginRequest | Where-Object grantType -EQ 'authorization_code').Count
        $env:MGLICENSE_BROWSER = Join-Path ([IO.Path]::GetTempPath()) "mgl-no-browser-$([guid]::NewGuid())/browser"

        $run = Invoke-Captured { Connect-MgGraph -TenantId $tenant -Scopes User.ReadWrite.All -Environment $environment -NoWelcome }

        $run.AllErrors | Should -Not -BeNullOrEmpty -Because 'Connect-MgGraph cannot succeed without a browser'
        $failure = if ($run.Terminating) { $run.Terminating.Exception } else { $run.Errors[0].Exception }
        $failure.Message | Should -BeLikeExactly '*No browser could be opened*'
        $failure.Message | Should -BeLikeExactly '*-UseDeviceCode*'
        @(Get-LoginRequest | Where-Object grantType -EQ 'authorization_code').Count | Should -Be $codesBefore
    }

    # Skipped under Wine: Wine 8's CNG has no usable RSA key (BeforeDiscovery above).
    It '-CertificateThumbprint and -CertificateName find the certificate in the CurrentUser My store; by name the newest valid one signs' -Skip:$IsWine {
        # On Linux the store is .NET's files under ~/.dotnet/corefx/cryptography/x509stores/my; the emulator's token
        # endpoint sees which certificate signed (the assertion's x5t).
        $subject = 'MgLicense store test ' + [guid]::NewGuid().ToString('N')
        $newest = New-TestCertificate "CN=$subject" ([DateTimeOffset]::Now.AddMinutes(-5)) ([DateTimeOffset]::Now.AddDays(1)) -Persist
        $older = New-TestCertificate "CN=$subject" ([DateTimeOffset]::Now.AddDays(-3)) ([DateTimeOffset]::Now.AddDays(2)) -Persist
        $expired = New-TestCertificate "CN=$subject" ([DateTimeOffset]::Now.AddMinutes(-3)) ([DateTimeOffset]::Now.AddMinutes(-1)) -Persist
        $added = @($newest, $older, $expired)
        $app = [guid]::NewGuid().ToString()
        Register-App @{ appId = $app; certificates = @($added | ForEach-Object { [Convert]::ToBase64String($_.RawData) }); roles = @('User.ReadWrite.All') }
        $store = [System.Security.Cryptography.X509Certificates.X509Store]::new('My', 'CurrentUser')
        $store.Open('ReadWrite')
        foreach ($c in $added) { $store.Add($c) }
        $store.Dispose()
        $keyMaterial = @($added | ForEach-Object { Get-KeyMaterial $_ })
        try {
            $cases = @(
                @{ How = '-CertificateName $which'; Which = $subject; Signer = $newest }
                @{ How = '-CertificateName $which'; Which = "CN=$subject"; Signer = $newest }
                @{ How = '-CertificateThumbprint $which'; Which = $newest.Thumbprint; Signer = $newest }
                @{ How = '-CertificateThumbprint $which'; Which = $older.Thumbprint.ToLowerInvariant(); Signer = $older }
            )
            foreach ($case in $cases) {
                $which = $case.Which
                $h = $null
                $script = "Connect-MgGraph -ClientId `$app -TenantId `$tenant $($case.How) -Environment `$environment -NoWelcome -Debug -Verbose" + $Calls

                $run = Invoke-Captured ([scriptblock]::Create($script)) -Keep h
                Disconnect-MgGraph -ErrorAction Ignore | Out-Null

                $token = @(Get-LoginRequest | Where-Object endpoint -EQ 'token')[-1]
                $token.credential | Should -BeExactly 'assertion'
                $token.x5t | Should -BeExactly (ConvertTo-Base64Url $case.Signer.GetCertHash())
                $console = @(Invoke-ChildPwsh -WithModule -Variable $ChildVariables ('$app = $env:MGLICENSE_TEST_APP; $which = $env:MGLICENSE_TEST_WHICH; ' + $script) @{ MGLICENSE_TEST_APP = $app; MGLICENSE_TEST_WHICH = $which })
                ($console -join "`n") | Should -BeLikeExactly '*Request_ResourceNotFound*' -Because 'the console shows the calls'
                Assert-WorkedWithoutLeak $run $console "$($case.How) $which" $keyMaterial
            }

            # The expired one is refused by its thumbprint, before anything is sent.
            $which = $expired.Thumbprint
            $before = @(Get-LoginRequest).Count
            $refused = Invoke-Captured { Connect-MgGraph -ClientId $app -TenantId $tenant -CertificateThumbprint $which -Environment $environment -NoWelcome }

            $refused.AllErrors | Should -HaveCount 1
            $refused.AllErrors[0].Exception.Message | Should -BeLikeExactly '*No valid certificate*'
            # As the official cmdlet writes its CertificateNotFound: not terminating, no error id, NotSpecified.
            $refused.Terminating | Should -BeNullOrEmpty
            $refused.AllErrors[0].CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::NotSpecified)
            $refused.AllErrors[0].FullyQualifiedErrorId | Should -BeExactly 'MgLicense.Commands.ConnectMgGraph'
            @(Get-LoginRequest) | Should -HaveCount $before
        } finally {
            $store = [System.Security.Cryptography.X509Certificates.X509Store]::new('My', 'CurrentUser')
            $store.Open('ReadWrite')
            foreach ($c in $added) { $store.Remove($c) }
            $store.Certificates.Find('FindBySubjectName', $subject, $false) | Should -HaveCount 0
            $store.Dispose()
            foreach ($c in $added) { $c.Dispose() }
        }
    }

    It 'an access token that expires after Connect-MgGraph is a clear error, and nothing is sent' {
        $token = (Invoke-EmulatorAdmin POST tokens @{ roles = @('User.ReadWrite.All'); expiresIn = 8 }).access_token
        # Long enough that a busy machine still connects before it expires; then wait it out.
        Connect-TestEmulator $token
        Start-Sleep -Milliseconds 8500
        $mark = Get-RequestMark

        $run = Invoke-Captured { Invoke-MgLicenseUser -UserId $user -Debug -Verbose }

        @(Get-RequestSince $mark) | Should -HaveCount 0
        $run.AllErrors | Should -HaveCount 1
        $run.AllErrors[0].Exception.Message | Should -BeLikeExactly '*expired*'
        $run.AllErrors[0].Exception.Message | Should -BeLikeExactly '*-AccessToken*'
        $run.AllErrors[0].CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::AuthenticationError)
        # A console of its own, with a token of its own that expires the same way.
        $consoleToken = (Invoke-EmulatorAdmin POST tokens @{ roles = @('User.ReadWrite.All'); expiresIn = 8 }).access_token
        $console = @(Invoke-ChildPwsh 'Start-Sleep -Milliseconds 8500; Invoke-MgLicenseUser -UserId $user -Debug -Verbose' -Token $consoleToken -Variable $ChildVariables)
        ($console -join "`n") | Should -BeLikeExactly '*expired*' -Because 'the console shows the error'
        Assert-NoSecret $run $console $token, $consoleToken, 'eyJ'
    }
}

Describe 'Sign-in options as the official module has them' {
    BeforeAll {
        # Approves the device code a sign-in shows (the prompt is output, as in the official module), as the person at the console would.
        $script:Approved = [System.Collections.Generic.List[string]]::new()
        $script:Approve = {
            param($shown)
            $message = if ($shown -is [string]) { $shown } elseif ($shown -is [System.Management.Automation.PSObject] -and $shown.BaseObject -is [string]) { $shown.BaseObject }
            $at = if ($message) { $message.IndexOf('enter the code ', [StringComparison]::Ordinal) } else { -1 }
            if ($at -ge 0) {
                $code = ($message.Substring($at + 'enter the code '.Length) -split '[ .]')[0]
                $null = Invoke-EmulatorAdmin POST "devicecodes/$code/approve" @{ userId = $TestUsers[0].id }
                $script:Approved.Add($code)
            }
        }
    }

    BeforeEach {
        $environment = 'Emulator'
        $user = $TestUsers[0].id
        $tenant = $TenantId
    }

    AfterEach {
        Disconnect-MgGraph -ErrorAction Ignore | Out-Null
        Restore-SignInVariable
    }

    It '-Scopes "A, B" asks for each scope, split on commas and trimmed, as the official ProcessScopes does; the device-code prompt is output' {
        $run = Invoke-Captured { Connect-MgGraph -UseDeviceCode -TenantId $tenant -Scopes 'User.ReadWrite.All, Directory.Read.All' -ContextScope Process -Environment $environment -NoWelcome } -OnRecord $Approve

        $run.AllErrors | Should -HaveCount 0
        $run.Warnings | Should -HaveCount 0
        @($run.Output | Where-Object { "$_".Contains('enter the code ') }) | Should -HaveCount 1
        $asked = (@(Get-LoginRequest | Where-Object endpoint -EQ 'devicecode'))[-1].scope -split ' '
        $asked | Should -Contain "$($Emulator.Url)/User.ReadWrite.All"
        $asked | Should -Contain "$($Emulator.Url)/Directory.Read.All"
        @($asked | Where-Object { $_.Contains(',') }) | Should -HaveCount 0
        (Get-MgContext).ContextScope | Should -Be 'Process'
    }

    It '-ContextScope CurrentUser (the default for a user) lets the next pwsh sign in without asking again, from a file only the user can read; Disconnect-MgGraph forgets it' {
        $settings = Join-Path ([IO.Path]::GetTempPath()) "mgl-cache-$([guid]::NewGuid())"
        try {
            $variables = @{ MGLICENSE_SETTINGS_DIRECTORY = $settings }
            $script = 'Connect-MgGraph -UseDeviceCode -TenantId $tenant -Scopes User.ReadWrite.All -Environment $environment -NoWelcome; ' +
                '"scope: $((Get-MgContext).ContextScope)"; "user: $((Invoke-MgLicenseUser -UserId $user).Id)"'
            $before = $Approved.Count

            $first = @(Invoke-ChildPwsh -WithModule -Variable $ChildVariables $script $variables -OnLine $Approve)
            $afterFirst = $Approved.Count
            $second = @(Invoke-ChildPwsh -WithModule -Variable $ChildVariables ($script + '; $null = Disconnect-MgGraph') $variables -OnLine $Approve)
            $afterSecond = $Approved.Count
            $cacheAfterDisconnect = Test-Path (Join-Path $settings tokencache.json)
            $third = @(Invoke-ChildPwsh -WithModule -Variable $ChildVariables ($script -replace '-NoWelcome', '-NoWelcome -ContextScope Process') $variables -OnLine $Approve)

            $afterFirst - $before | Should -Be 1 -Because 'the first session signs in with a device code'
            $first | Should -Contain 'scope: CurrentUser'
            $first | Should -Contain "user: $($TestUsers[0].id)"
            $afterSecond - $afterFirst | Should -Be 0 -Because 'the next session reuses the sign-in: no device code'
            ($second -join "`n") | Should -Not -BeLikeExactly '*enter the code*'
            $second | Should -Contain 'scope: CurrentUser'
            $second | Should -Contain "user: $($TestUsers[0].id)"
            $cacheAfterDisconnect | Should -BeFalse -Because 'Disconnect-MgGraph forgets the cached sign-in'
            $Approved.Count - $afterSecond | Should -Be 1 -Because 'after Disconnect-MgGraph, and with -ContextScope Process, a device code is asked again'
            $third | Should -Contain 'scope: Process'
            Test-Path (Join-Path $settings tokencache.json) | Should -BeFalse -Because '-ContextScope Process keeps nothing'
        } finally {
            Remove-Item -Recurse -Force $settings -ErrorAction Ignore
        }
    }

    It 'the token cache is readable by the user only, and a cache others can read is not used' -Skip:$IsWindows {
        $settings = Join-Path ([IO.Path]::GetTempPath()) "mgl-cache-$([guid]::NewGuid())"
        try {
            $variables = @{ MGLICENSE_SETTINGS_DIRECTORY = $settings }
            $script = 'Connect-MgGraph -UseDeviceCode -TenantId $tenant -Scopes User.ReadWrite.All -Environment $environment -NoWelcome'
            $null = Invoke-ChildPwsh -WithModule -Variable $ChildVariables $script $variables -OnLine $Approve
            $cache = Join-Path $settings tokencache.json

            [IO.File]::GetUnixFileMode($settings) | Should -Be ([IO.UnixFileMode] 'UserRead, UserWrite, UserExecute')
            [IO.File]::GetUnixFileMode($cache) | Should -Be ([IO.UnixFileMode] 'UserRead, UserWrite')

            [IO.File]::SetUnixFileMode($cache, [IO.UnixFileMode] 'UserRead, UserWrite, GroupRead, OtherRead')
            $before = $Approved.Count
            $null = Invoke-ChildPwsh -WithModule -Variable $ChildVariables $script $variables -OnLine $Approve
            $Approved.Count - $before | Should -Be 1 -Because 'a cache that others can read is ignored'
        } finally {
            Remove-Item -Recurse -Force $settings -ErrorAction Ignore
        }
    }

    It '-LoginHint proposes the account in the browser sign-in' -Skip:$IsWindows {
        $browserDir = Join-Path ([IO.Path]::GetTempPath()) "mgl-browser-$([guid]::NewGuid())"
        $null = New-Item -ItemType Directory $browserDir
        try {
            $browser = Join-Path $browserDir 'browser.sh'
            [IO.File]::WriteAllText($browser, "#!/bin/sh`nexec curl --noproxy '*' -s -o /dev/null -L --max-redirs 3 `"`$1`"`n")
            [IO.File]::SetUnixFileMode($browser, [IO.UnixFileMode] 'UserRead, UserWrite, UserExecute')
            $env:MGLICENSE_BROWSER = $browser
            $null = Invoke-EmulatorAdmin POST login/browser @{ userId = $TestUsers[0].id }

            $run = Invoke-Captured { Connect-MgGraph -TenantId $tenant -Scopes User.ReadWrite.All -LoginHint 'adele@contoso.com' -ContextScope Process -Environment $environment -NoWelcome }

            $run.AllErrors | Should -HaveCount 0
            (@(Get-LoginRequest | Where-Object endpoint -EQ 'authorize'))[-1].loginHint | Should -BeExactly 'adele@contoso.com'
        } finally {
            Remove-Item -Recurse -Force $browserDir
        }
    }

    It '-SendCertificateChain $true sends the certificate with the assertion (x5c) and shows in the context' -Skip:$IsWine {
        $certificate = New-TestCertificate
        try {
            $app = [guid]::NewGuid().ToString()
            Register-App @{ appId = $app; certificates = @([Convert]::ToBase64String($certificate.RawData)); roles = @('User.ReadWrite.All') }

            $null = Connect-MgGraph -ClientId $app -TenantId $tenant -Certificate $certificate -SendCertificateChain $true -Environment $environment -NoWelcome
            $with = (@(Get-LoginRequest | Where-Object credential -EQ 'assertion'))[-1]
            $context = Get-MgContext
            Disconnect-MgGraph | Out-Null
            $null = Connect-MgGraph -ClientId $app -TenantId $tenant -Certificate $certificate -Environment $environment -NoWelcome
            $without = (@(Get-LoginRequest | Where-Object credential -EQ 'assertion'))[-1]

            $with.x5c | Should -Be 1
            $context.SendCertificateChain | Should -BeTrue
            $context.AuthType | Should -Be 'AppOnly'
            $context.TokenCredentialType | Should -Be 'ClientCertificate'
            $context.ContextScope | Should -Be 'Process'
            $without.x5c | Should -BeNullOrEmpty
        } finally {
            $certificate.Dispose()
        }
    }
}
