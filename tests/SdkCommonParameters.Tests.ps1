# The parameters every generated cmdlet of the Microsoft Graph PowerShell SDK has besides its operation's own: -Break,
# -HttpPipelineAppend, -HttpPipelinePrepend, -Proxy, -ProxyCredential and -ProxyUseDefaultCredentials. Scripts that
# pass them bind; what MgLicense does with each is in docs/differences.md ("Cmdlets, output and errors").

BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Emulator = Start-TestEmulator
    # The permissions of this file's connection to the emulator, which a proxied test's ends by connecting to again.
    $script:Roles = @('User.ReadWrite.All', 'Directory.Read.All')
    Connect-TestEmulator (New-TestToken $Roles)
    $script:Generated = @(
        'Get-MgUser', 'Get-MgGroup', 'Get-MgGroupMemberWithLicenseError', 'Get-MgSubscribedSku', 'Get-MgUserLicenseDetail',
        'Get-MgGroupMember', 'Invoke-MgLicenseUser', 'Invoke-MgBetaLicenseUser', 'Invoke-MgBetaLicenseUser2',
        'Invoke-MgBetaReprocessUserCloudLicensingAssignment', 'Update-MgUser', 'Set-MgUserLicense', 'New-MgGroupMember',
        'Remove-MgGroupMemberByRef')
}

AfterAll { Stop-TestEmulator $script:Emulator }

Describe 'The SDK''s common generated parameters' {
    It 'every generated cmdlet has them, in every set, named and hidden from tab completion as in the SDK' {
        $expected = [ordered]@{
            Break = [System.Management.Automation.SwitchParameter]
            HttpPipelineAppend = [object[]]
            HttpPipelinePrepend = [object[]]
            Proxy = [uri]
            ProxyCredential = [pscredential]
            ProxyUseDefaultCredentials = [System.Management.Automation.SwitchParameter]
        }
        foreach ($name in $Generated) {
            $command = Get-Command $name
            foreach ($parameter in $expected.Keys) {
                $found = $command.Parameters[$parameter]
                $found | Should -Not -BeNullOrEmpty -Because "$name has -$parameter"
                $found.ParameterType | Should -Be $expected[$parameter] -Because "$name -$parameter"
                $attribute = @($found.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] })
                $attribute | Should -HaveCount 1 -Because "$name -$parameter is in every set"
                $attribute[0].ParameterSetName | Should -BeExactly '__AllParameterSets'
                $attribute[0].DontShow | Should -BeTrue -Because "AutoRest declares $parameter DontShow"
                $attribute[0].Position | Should -BeLessThan 0
            }
        }
    }

    It '<Command> refuses a SendAsync step in -<Parameter> before anything is sent' -ForEach @(
        @{ Command = 'Get-MgUser'; Parameter = 'HttpPipelineAppend'; Call = { param($p) Get-MgUser -Top 1 @p } }
        @{ Command = 'Invoke-MgLicenseUser'; Parameter = 'HttpPipelinePrepend'; Call = { param($p) Invoke-MgLicenseUser -UserId AdeleV@contoso.com @p } }
        @{ Command = 'Update-MgUser'; Parameter = 'HttpPipelineAppend'; Call = { param($p) Update-MgUser -UserId AdeleV@contoso.com -Department Sales @p } }
    ) {
        $step = { param($request, $callback, $next) $next.SendAsync($request, $callback) }
        $mark = Get-RequestMark

        $caught = $null
        try { & $Call @{ $Parameter = @($step) } } catch { $caught = $_ }

        @(Get-RequestSince $mark) | Should -HaveCount 0
        $caught | Should -Not -BeNullOrEmpty
        $caught.FullyQualifiedErrorId | Should -BeLikeExactly 'HttpPipelineNotSupported,*'
        $caught.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::NotImplemented)
        $caught.Exception.Message | Should -BeLikeExactly "-$Parameter cannot be used with MgLicense*Nothing was sent.*"
    }

    It 'an empty or null pipeline changes nothing: the call is made' {
        $mark = Get-RequestMark

        $users = @(Get-MgUser -Top 1 -HttpPipelineAppend @() -HttpPipelinePrepend $null -WarningVariable warned)

        $users | Should -HaveCount 1
        @(Get-RequestSince $mark) | Should -HaveCount 1
        $warned | Should -HaveCount 0
    }

    It '-Proxy carries the command''s Graph calls, with -ProxyCredential''s user name and password; without it they go the connection''s way' {
        # The proxy refuses every tunnel, so nothing leaves the machine and no remote name is looked up. Loopback is never
        # proxied, so the calls go to a remote name (under .invalid, which the engine refuses to look up).
        $run = Invoke-WithProxiedGraph -Roles $Roles {
            param($proxy)
            $credential = [pscredential]::new('proxy user', (ConvertTo-SecureString 'p@ss:w0rd-77' -AsPlainText -Force))

            $null = Get-MgUser -Top 1 -ErrorVariable direct -ErrorAction SilentlyContinue
            $seenDirect = $proxy.Heads.Count
            $null = Get-MgUser -Top 1 -Proxy $proxy.Url -ProxyCredential $credential -ErrorVariable +failed -ErrorAction SilentlyContinue
            $null = Invoke-MgLicenseUser -UserId AdeleV@contoso.com -Proxy $proxy.Url -ErrorVariable +failed -ErrorAction SilentlyContinue
            $null = 'AdeleV@contoso.com', 'AlexW@contoso.com' | Invoke-MgBetaLicenseUser -BatchSize 2 -Proxy $proxy.Url -ErrorVariable +failed -ErrorAction SilentlyContinue
            $null = Update-MgUser -UserId AdeleV@contoso.com -Department Sales -Proxy $proxy.Url -ErrorVariable +failed -ErrorAction SilentlyContinue
            $debugged = @(Get-MgUser -Top 1 -Proxy $proxy.Url -ProxyCredential $credential -Debug -ErrorAction SilentlyContinue 5>&1 2>&1)
            @{ Direct = $direct; SeenDirect = $seenDirect; Failed = $failed; Debugged = $debugged; Heads = @($proxy.Heads.ToArray()) }
        }

        $direct, $seenDirect, $failed, $debugged, $heads = $run.Direct, $run.SeenDirect, $run.Failed, $run.Debugged, $run.Heads
        $direct | Should -HaveCount 1
        $seenDirect | Should -Be 0 -Because 'without -Proxy the connection has no proxy'
        # One tunnel or more for each of the four commands (a batch the proxy refuses is tried again call by call).
        $heads.Count | Should -BeGreaterOrEqual 4
        foreach ($head in $heads) { ($head -split "`r`n")[0] | Should -BeExactly 'CONNECT graph.example.invalid:443 HTTP/1.1' }
        # Basic authentication with -ProxyCredential's user name and password, on the read that gave it only.
        $basic = 'Basic ' + [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes('proxy user:p@ss:w0rd-77'))
        @($heads[0] -split "`r`n") | Should -Contain "proxy-authorization: $basic"
        @($heads[-1] -split "`r`n") | Should -Contain "proxy-authorization: $basic"
        @($heads | Where-Object { $_ -like '*proxy-authorization*' }) | Should -HaveCount 2 -Because 'only the two reads gave -ProxyCredential'
        $failed | Should -HaveCount 5 -Because 'each call fails at the refused tunnel, each input of the batch for itself'
        $failed[0].Exception.Message | Should -BeLikeExactly '*graph.example.invalid*tunnel*'
        # The proxy's password is in no error, and not in what -Debug shows.
        foreach ($record in $failed) { "$record $($record.ErrorDetails)" | Should -Not -BeLike '*w0rd-77*' }
        $debugged.Count | Should -BeGreaterThan 0
        ($debugged | Out-String) | Should -Not -BeLike '*w0rd-77*'
    }

    It '-ProxyCredential with an empty password still goes to the proxy: its user name and the empty password' {
        $run = Invoke-WithProxiedGraph -Roles $Roles {
            param($proxy)
            $credential = [pscredential]::new('proxy user', [securestring]::new())
            $null = Get-MgUser -Top 1 -Proxy $proxy.Url -ProxyCredential $credential -ErrorVariable failed -ErrorAction SilentlyContinue
            @{ Failed = $failed; Heads = @($proxy.Heads.ToArray()) }
        }

        $failed, $heads = $run.Failed, $run.Heads
        $failed | Should -HaveCount 1
        $heads | Should -Not -BeNullOrEmpty
        $basic = 'Basic ' + [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes('proxy user:'))
        foreach ($head in $heads) { @($head -split "`r`n") | Should -Contain "proxy-authorization: $basic" }
    }

    It 'refuses a -Proxy that is no http or https address before anything is sent, without repeating it' {
        $mark = Get-RequestMark
        $caught = $null
        try { Get-MgUser -Top 1 -Proxy 'ftp://user:s3cret-88@proxy.contoso.com' } catch { $caught = $_ }

        @(Get-RequestSince $mark) | Should -HaveCount 0
        $caught.FullyQualifiedErrorId | Should -BeLikeExactly 'InvalidProxy,*'
        $caught.Exception.Message | Should -BeLikeExactly '-Proxy must be the http:// or https:// address of a proxy server*Nothing was sent.'
        $caught.Exception.Message | Should -Not -BeLike '*s3cret-88*'
    }

    It 'refuses a -Proxy with <What> before anything is sent, without repeating it: a proxy is a host and a port' -ForEach @(
        @{ What = 'a path (a PAC script''s address)'; Proxy = 'http://user:s3cret-88@proxy.contoso.com:8080/proxy.pac' }
        @{ What = 'a query'; Proxy = 'http://user:s3cret-88@proxy.contoso.com:8080/?s3cret-88' }
        @{ What = 'a fragment'; Proxy = 'http://user:s3cret-88@proxy.contoso.com:8080#s3cret-88' }
    ) {
        $mark = Get-RequestMark
        $caught = $null
        try { Get-MgUser -Top 1 -Proxy $Proxy } catch { $caught = $_ }

        @(Get-RequestSince $mark) | Should -HaveCount 0
        $caught.FullyQualifiedErrorId | Should -BeLikeExactly 'InvalidProxy,*'
        $caught.Exception.Message | Should -BeLikeExactly '-Proxy must be the http:// or https:// address of a proxy server*no path, query or fragment*Nothing was sent.'
        $caught.Exception.Message | Should -Not -BeLike '*s3cret-88*'
    }

    It 'refuses a -Proxy that is no address at all (<What>) without repeating it, before anything is sent' -ForEach @(
        @{ What = 'a port out of range'; Proxy = 'http://user:s3cret-99@proxy.contoso.com:99999' }
        @{ What = 'a line break'; Proxy = "http://user:s3cret-99@proxy`n.contoso.com:3128" }
        @{ What = 'a space in the host'; Proxy = 'http://user:s3cret-99@proxy contoso.com:3128' }
    ) {
        $mark = Get-RequestMark
        $run = Invoke-Captured { Get-MgUser -Top 1 -Proxy $Proxy }

        @(Get-RequestSince $mark) | Should -HaveCount 0
        $run.AllErrors | Should -HaveCount 1
        $run.AllErrors[0].FullyQualifiedErrorId | Should -BeLikeExactly 'ParameterArgumentTransformationError,*'
        $run.AllErrors[0].Exception.Message | Should -BeLikeExactly '*-Proxy must be the http:// or https:// address of a proxy server*Nothing was sent.'
        Assert-NoSecret $run -Secret 's3cret-99'
    }

    It 'takes a -Proxy ending in / as the same address' {
        $mark = Get-RequestMark

        $users = @(Get-MgUser -Top 1 -Proxy 'http://proxy.contoso.com:3128/')

        $users | Should -HaveCount 1 -Because 'the emulator on loopback is never proxied'
        @(Get-RequestSince $mark) | Should -HaveCount 1
    }

    It '<Given> alone changes nothing but says why: <Why>' -ForEach @(
        @{ Given = '-ProxyCredential'; Why = 'it is for -Proxy'; Parameters = @{ ProxyCredential = [pscredential]::new('u', (ConvertTo-SecureString 'x-0193' -AsPlainText -Force)) }; Warning = '-ProxyCredential is used only with -Proxy*HTTPS_PROXY*' }
        @{ Given = '-ProxyUseDefaultCredentials'; Why = 'Windows authentication to a proxy is not supported'; Parameters = @{ ProxyUseDefaultCredentials = $true }; Warning = '-ProxyUseDefaultCredentials is not supported*Negotiate, NTLM*-ProxyCredential*' }
    ) {
        $mark = Get-RequestMark

        $users = @(Get-MgUser -Top 1 @Parameters -WarningVariable warned -WarningAction SilentlyContinue)

        $users | Should -HaveCount 1
        @(Get-RequestSince $mark) | Should -HaveCount 1
        $warned | Should -HaveCount 1
        "$($warned[0])" | Should -BeLikeExactly $Warning
    }

    It '<Command> -Break waits for a debugger as the SDK does, saying which process on the standard error, and Ctrl+C ends the wait' -ForEach @(
        @{ Command = 'Get-MgSubscribedSku'; Script = 'Get-MgSubscribedSku -Break' }
        @{ Command = 'Invoke-MgGraphRequest'; Script = 'Invoke-MgGraphRequest -Uri v1.0/subscribedSkus -Break' }
        @{ Command = 'Connect-MgGraph'; Script = 'Connect-MgGraph -AccessToken (ConvertTo-SecureString x -AsPlainText -Force) -Break' }
    ) {
        $written = [System.IO.StringWriter]::new()
        $saw = [System.IO.TextWriter]::Synchronized($written)
        $console = [Console]::Error
        $shell = [powershell]::Create()
        try {
            [Console]::SetError($saw)
            $null = $shell.AddScript("param(`$Manifest) Import-Module `$Manifest; $Script").AddArgument($ModuleManifest)
            $mark = Get-RequestMark
            $running = $shell.BeginInvoke()
            $waited = [System.Diagnostics.Stopwatch]::StartNew()
            while (-not $written.ToString().Contains('Waiting for debugger') -and $waited.Elapsed.TotalSeconds -lt 60 -and -not $running.IsCompleted) {
                Start-Sleep -Milliseconds 100
            }
            $said = $written.ToString()
            $state = $shell.InvocationStateInfo.State
            $shell.Stop()
            $stopped = $shell.InvocationStateInfo.State
        } finally {
            [Console]::SetError($console)
            $shell.Dispose()
        }

        $said | Should -BeLikeExactly "Waiting for debugger to attach to process $PID*"
        $state | Should -Be ([System.Management.Automation.PSInvocationState]::Running)
        $stopped | Should -Be ([System.Management.Automation.PSInvocationState]::Stopped)
        @(Get-RequestSince $mark) | Should -HaveCount 0
    }
}
