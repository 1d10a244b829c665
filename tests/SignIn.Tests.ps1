# Connect-MgGraph's real sign-ins against the emulator's login side: each flow end to end, its failures, and no
# secret in any stream, error or console line (a pwsh of its own shows what a console shows).

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

    # Sets (or, for $null, removes) environment variables for one step; Restore-SignInVariable puts back what the run started with.
    function Set-SignInVariable([hashtable] $Values) { foreach ($name in $Values.Keys) { [Environment]::SetEnvironmentVariable($name, $Values[$name]) } }
    function Restore-SignInVariable { foreach ($name in $SavedVariables.Keys) { [Environment]::SetEnvironmentVariable($name, $SavedVariables[$name]) } }

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

    # Runs a script as a user types it in a fresh session (errors continue, as by default), every stream kept
    # apart; -Keep names variables the script sets; -OnRecord sees each record as it is written (to answer a sign-in).
    function Invoke-Captured([scriptblock] $Script, [string[]] $Keep = @(), [scriptblock] $OnRecord) {
        $ErrorActionPreference = 'Continue'
        $records = [System.Collections.Generic.List[object]]::new()
        $terminating = $null
        try { . $Script *>&1 | ForEach-Object { $records.Add($_); if ($OnRecord) { & $OnRecord $_ } } } catch { $terminating = $_ }
        $kept = @{}
        foreach ($name in $Keep) { $kept[$name] = Get-Variable -Name $name -ValueOnly -Scope 0 -ErrorAction Ignore }
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
            Variables   = $kept
        }
    }

    # What a console shows for a script: a pwsh of its own with the module, the emulator as $environment, $user and
    # $tenant; -Environment adds (or, with $null, removes) variables of its environment; -OnLine sees each line as
    # it is shown (to answer a sign-in).
    function Show-InConsole {
        param([string] $Script, [hashtable] $Environment = @{}, [scriptblock] $OnLine)
        $prelude = 'Import-Module $env:MGLICENSE_TEST_MODULE -ErrorAction Stop; ' +
            '$null = Add-MgEnvironment -Name Emulator -GraphEndpoint $env:MGLICENSE_TEST_URL -AzureADEndpoint $env:MGLICENSE_TEST_URL; ' +
            '$environment = ''Emulator''; $user = $env:MGLICENSE_TEST_USER; $tenant = $env:MGLICENSE_TEST_TENANT; '
        $info = [System.Diagnostics.ProcessStartInfo]::new((Join-Path $PSHOME $(if ($IsWindows) { 'pwsh.exe' } else { 'pwsh' })))
        foreach ($argument in '-NoProfile', '-NonInteractive', '-Command', ($prelude + $Script)) { $info.ArgumentList.Add($argument) }
        $info.UseShellExecute = $false
        $info.RedirectStandardOutput = $true
        $info.RedirectStandardError = $true
        $values = @{ MGLICENSE_TEST_MODULE = $ModuleManifest; MGLICENSE_TEST_URL = $Emulator.Url; MGLICENSE_TEST_USER = $TestUsers[0].id; MGLICENSE_TEST_TENANT = $TenantId; NO_COLOR = '1' } + $Environment
        foreach ($name in $values.Keys) {
            if ($null -eq $values[$name]) { $null = $info.Environment.Remove($name) } else { $info.Environment[$name] = [string] $values[$name] }
        }

        $process = [System.Diagnostics.Process]::Start($info)
        try {
            $errors = $process.StandardError.ReadToEndAsync()
            while ($null -ne ($line = $process.StandardOutput.ReadLine())) {
                if ($OnLine) { & $OnLine $line }
                $line
            }

            if (-not $process.WaitForExit(120000)) { throw 'The console pwsh did not end within 120 s.' }
            $errors.Result -split "`r?`n"
        } finally {
            if (-not $process.HasExited) { $process.Kill($true) }
            $process.Dispose()
        }
    }

    # No secret and no JWT in what a run wrote, in its streams and errors, or on its console.
    function Assert-NoSecret($Run, [string[]] $Console, [string[]] $Secrets) {
        $texts = @($Run.Output | ForEach-Object { "$_" }) + $Run.Warnings + $Run.Verbose + $Run.Debug + $Run.Information + $Console
        foreach ($e in $Run.AllErrors) { $texts += "$e", "$($e.Exception)", "$($e.ErrorDetails.Message)" }
        foreach ($text in $texts) {
            foreach ($secret in $Secrets) { $text | Should -Not -BeLikeExactly "*$([WildcardPattern]::Escape($secret))*" }
            $text | Should -Not -BeLikeExactly '*eyJ*'
        }
    }

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
        foreach ($text in $texts) {
            foreach ($secret in $all) {
                $text.Contains($secret, [StringComparison]::Ordinal) | Should -BeFalse -Because "$Method`: a credential ($($secret.Substring(0, 4))...) appears in: $text"
            }

            $text.Contains('eyJ', [StringComparison]::Ordinal) | Should -BeFalse -Because "$Method`: a JWT appears in: $text"
        }
    }

    # A loopback HTTP proxy that refuses every tunnel (403) and keeps each request's first line.
    if (-not ('MgLicense.Tests.RefusingProxy' -as [type])) {
        Add-Type -TypeDefinition @'
namespace MgLicense.Tests
{
    public sealed class RefusingProxy : System.IDisposable
    {
        private readonly System.Net.Sockets.TcpListener listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);

        public RefusingProxy()
        {
            listener.Start();
            Url = "http://" + listener.LocalEndpoint;
            System.Threading.Tasks.Task.Run(Serve);
        }

        public string Url { get; }

        public System.Collections.Concurrent.ConcurrentQueue<string> Seen { get; } = new System.Collections.Concurrent.ConcurrentQueue<string>();

        private async System.Threading.Tasks.Task Serve()
        {
            try
            {
                while (true)
                {
                    using System.Net.Sockets.TcpClient client = await listener.AcceptTcpClientAsync();
                    var reader = new System.IO.StreamReader(client.GetStream(), System.Text.Encoding.ASCII);
                    Seen.Enqueue(await reader.ReadLineAsync() ?? string.Empty);
                    byte[] refusal = System.Text.Encoding.ASCII.GetBytes("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    await client.GetStream().WriteAsync(refusal);
                }
            }
            catch (System.Exception e) when (e is System.Net.Sockets.SocketException or System.ObjectDisposedException)
            {
                // Stopped.
            }
        }

        public void Dispose() => listener.Stop();
    }
}
'@
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
        $console = @(Show-InConsole ($ConsoleCredential + $script) @{ MGLICENSE_TEST_APP = $app; MGLICENSE_TEST_SECRET = $Secret })
        ($console -join "`n") | Should -BeLikeExactly "*$app*" -Because 'the console shows the context'
        Assert-NoSecret $run $console $Secret
    }

    It 'a wrong secret is an authentication error that says what to check' {
        $app = [guid]::NewGuid().ToString()
        Register-App @{ appId = $app; secrets = @(@{ value = $Secret }); roles = @('User.ReadWrite.All') }
        $wrong = $Secret + '-wrong'
        $credential = [pscredential]::new($app, (ConvertTo-TestSecureString $wrong))
        $script = 'Connect-MgGraph -TenantId $tenant -ClientSecretCredential $credential -Environment $environment -Debug -Verbose'

        $run = Invoke-Captured ([scriptblock]::Create($script))

        $run.AllErrors | Should -HaveCount 1
        $error1 = $run.AllErrors[0]
        $error1.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::AuthenticationError)
        $error1.Exception.Message | Should -BeLikeExactly '*AADSTS7000215*'
        $error1.Exception.Message | Should -BeLikeExactly "*secret's value*"
        $console = @(Show-InConsole ($ConsoleCredential + $script) @{ MGLICENSE_TEST_APP = $app; MGLICENSE_TEST_SECRET = $wrong })
        ($console -join "`n") | Should -BeLikeExactly '*AADSTS7000215*' -Because 'the console shows the error'
        Assert-NoSecret $run $console $wrong, $Secret
    }

    It 'certificates from an object, a PFX and a PEM file all sign in: <How>' -ForEach @(
        @{ How = '-Certificate $certificate' }
        @{ How = '-CertificatePath $pfx -CertificatePassword $password' }
        @{ How = '-CertificatePath $pem' }
    ) {
        $certificate = New-TestCertificate
        $app = [guid]::NewGuid().ToString()
        Register-App @{ appId = $app; certificates = @([Convert]::ToBase64String($certificate.RawData)); roles = @('User.ReadWrite.All') }
        $dir = Join-Path ([IO.Path]::GetTempPath()) "mgl-signin-$([guid]::NewGuid())"
        $null = New-Item -ItemType Directory $dir
        try {
            $pfx = Join-Path $dir 'app.pfx'
            $pem = Join-Path $dir 'app.pem'
            [IO.File]::WriteAllBytes($pfx, $certificate.Export('Pfx', 'pfx-pass'))
            $key = [System.Security.Cryptography.X509Certificates.RSACertificateExtensions]::GetRSAPrivateKey($certificate)
            [IO.File]::WriteAllText($pem, $certificate.ExportCertificatePem() + "`n" + $key.ExportPkcs8PrivateKeyPem() + "`n")
            $key.Dispose()
            $password = ConvertTo-TestSecureString 'pfx-pass'
            $script = "Connect-MgGraph -ClientId `$app -TenantId `$tenant $How -Environment `$environment -NoWelcome; (Get-MgContext).TokenCredentialType; Invoke-MgLicenseUser -UserId `$user"

            $run = Invoke-Captured ([scriptblock]::Create($script))

            $run.AllErrors | Should -HaveCount 0
            $run.Output[0] | Should -BeExactly 'ClientCertificate'
            $run.Output[1].Id | Should -BeExactly $TestUsers[0].id
            Disconnect-MgGraph | Out-Null
            $console = @(Show-InConsole ('$app = $env:MGLICENSE_TEST_APP; $pfx = $env:MGLICENSE_TEST_PFX; $pem = $env:MGLICENSE_TEST_PEM; ' +
                    '$password = ConvertTo-SecureString $env:MGLICENSE_TEST_PASSWORD -AsPlainText -Force; ' +
                    '$certificate = [System.Security.Cryptography.X509Certificates.X509CertificateLoader]::LoadPkcs12FromFile($pfx, $env:MGLICENSE_TEST_PASSWORD); ' + $script) `
                    @{ MGLICENSE_TEST_APP = $app; MGLICENSE_TEST_PFX = $pfx; MGLICENSE_TEST_PEM = $pem; MGLICENSE_TEST_PASSWORD = 'pfx-pass' })
            ($console -join "`n") | Should -BeLikeExactly '*ClientCertificate*' -Because 'the console shows the context'
            Assert-NoSecret $run $console 'pfx-pass', 'PRIVATE KEY'
        } finally {
            Remove-Item -Recurse -Force $dir
            $certificate.Dispose()
        }
    }

    It 'environment variables naming a PFX with its password sign in; a wrong password is named' {
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
            $console = @(Show-InConsole $script $variables)
            ($console -join "`n") | Should -BeLikeExactly '*EnvironmentVariable*' -Because 'the console shows the context'
            Assert-NoSecret $run $console 'env-pfx-pass', 'PRIVATE KEY'

            # The wrong password is refused by name, and nothing is signed in with it.
            Set-SignInVariable @{ AZURE_CLIENT_CERTIFICATE_PASSWORD = 'not-the-password' }
            $wrongScript = 'Connect-MgGraph -EnvironmentVariable -Environment $environment -NoWelcome'
            $wrong = Invoke-Captured ([scriptblock]::Create($wrongScript))

            $wrong.AllErrors | Should -HaveCount 1
            $wrong.AllErrors[0].Exception.Message | Should -BeLikeExactly "*$([WildcardPattern]::Escape($pfx))*"
            $variables.AZURE_CLIENT_CERTIFICATE_PASSWORD = 'not-the-password'
            $wrongConsole = @(Show-InConsole $wrongScript $variables)
            ($wrongConsole -join "`n") | Should -BeLikeExactly "*$([WildcardPattern]::Escape($pfx))*" -Because 'the console shows the error'
            Assert-NoSecret $wrong $wrongConsole 'not-the-password', 'env-pfx-pass'
        } finally {
            Remove-Item -Recurse -Force $dir
            $certificate.Dispose()
        }
    }

    It 'certificate and secret mistakes are named before anything is sent: <Expected>' -ForEach @(
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
            $before = @(Get-SentRequest).Count

            $run = Invoke-Captured ([scriptblock]::Create($Script))

            @(Get-SentRequest | Select-Object -Skip $before) | Should -HaveCount 0
            $run.AllErrors | Should -HaveCount 1
            $run.AllErrors[0].Exception.Message | Should -BeLikeExactly "*$([WildcardPattern]::Escape($Expected))*"
        } finally {
            Remove-Item -Recurse -Force $dir
            $certificate.Dispose()
        }
    }

    It '$env:HTTPS_PROXY carries sign-in to remote authorities, not to loopback' {
        # The proxy refuses every tunnel, so nothing leaves the machine and no remote name is looked up.
        $proxy = [MgLicense.Tests.RefusingProxy]::new()
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
            $console = @(Show-InConsole ($ConsoleCredential + $remoteScript) @{ MGLICENSE_TEST_APP = $app; MGLICENSE_TEST_SECRET = $Secret; HTTPS_PROXY = $proxy.Url })
            ($console -join "`n") | Should -BeLikeExactly '*login.example.invalid*' -Because 'the console shows the error'
            Assert-NoSecret $remote $console $Secret
        } finally {
            $proxy.Dispose()
        }
    }

    It 'a managed identity uses the overridden IMDS endpoint; Remove-MgEnvironment forgets an environment' {
        $app = [guid]::NewGuid().ToString()
        Register-App @{ appId = $app; managedIdentity = 'user'; roles = @('User.ReadWrite.All') }
        $env:MGLICENSE_IMDS_ENDPOINT = "$($Emulator.Url)/metadata/identity/oauth2/token"

        $run = Invoke-Captured { Connect-MgGraph -Identity -ClientId $app -Environment $environment -NoWelcome; (Get-MgContext).AuthType; Invoke-MgLicenseUser -UserId $user }

        $run.AllErrors | Should -HaveCount 0
        $run.Output[0] | Should -BeExactly 'AppOnly'
        $run.Output[1].Id | Should -BeExactly $TestUsers[0].id

        $removed = Invoke-Captured {
            $null = Add-MgEnvironment -Name Temporary -GraphEndpoint https://graph.example.test -AzureADEndpoint https://login.example.test
            Remove-MgEnvironment -Name Temporary; Get-MgEnvironment -Name Temp*
        }

        $removed.AllErrors | Should -HaveCount 0
        $removed.Output | Should -HaveCount 0
    }
}
