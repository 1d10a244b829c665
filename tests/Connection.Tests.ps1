# Connect-MgGraph, Get-MgContext, Disconnect-MgGraph and the environment cmdlets, as a script uses them.

BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Emulator = Start-TestEmulator
}

AfterAll { Stop-TestEmulator $script:Emulator }

Describe 'Connect-MgGraph' {
    AfterEach { Disconnect-MgGraph -ErrorAction Ignore | Out-Null }

    It 'writes the welcome as output, as the official module does: $null = and | Out-Null hide it, -NoWelcome suppresses it' {
        # The official cmdlet writes the welcome with WriteObject (msgraph-sdk-powershell PR #2241), so scripts hide it with
        # `$null = Connect-MgGraph` or `| Out-Null`. A console shows what is left: a pwsh of its own, as a person runs it.
        $secure = '$token = ConvertTo-SecureString $token -AsPlainText -Force; '
        $shown = @(Invoke-ChildPwsh ($secure + '$output = @(Connect-MgGraph -AccessToken $token -Environment Emulator); Write-Host "output objects: $($output.Count)"; $output') `
                -WithModule -Variable @{ token = (New-TestToken User.ReadWrite.All) })
        $hidden = @(Invoke-ChildPwsh ($secure + '$null = Connect-MgGraph -AccessToken $token -Environment Emulator; Connect-MgGraph -AccessToken $token -Environment Emulator | Out-Null; ' +
                'Connect-MgGraph -AccessToken $token -Environment Emulator -NoWelcome') -WithModule -Variable @{ token = (New-TestToken User.ReadWrite.All) })
        $direct = @(Connect-MgGraph -AccessToken (ConvertTo-TestSecureString (New-TestToken User.ReadWrite.All)) -Environment $Emulator.Environment)

        $shown[0] | Should -BeExactly 'output objects: 1'
        $shown[1] | Should -BeExactly 'Welcome to Microsoft Graph!'
        @($shown | Where-Object { $_.StartsWith('Connected via userprovidedaccesstoken access using ') }).Count | Should -BeGreaterThan 0
        $shown | Should -Contain 'NOTE: You can use the -NoWelcome parameter to suppress this message.'
        $hidden | Should -HaveCount 0
        $direct | Should -HaveCount 1
        $direct[0] | Should -BeOfType [string]
        $direct[0] | Should -BeLikeExactly "Welcome to Microsoft Graph!`n`nConnected via userprovidedaccesstoken access using *"
    }

    It 'Get-MgContext describes the connection, which disappears on Disconnect-MgGraph' {
        Connect-TestEmulator (New-TestToken User.ReadWrite.All)

        $connected = @(Get-MgContext)

        $connected | Should -HaveCount 1
        $context = $connected[0]
        $context.AuthType | Should -BeExactly 'UserProvidedAccessToken'
        $context.TokenCredentialType | Should -BeExactly 'UserProvidedAccessToken'
        $context.Environment | Should -BeExactly 'Emulator'
        , $context.Scopes | Should -BeOfType [string[]]
        $context.Scopes | Should -Contain 'User.ReadWrite.All'
        $context.TenantId | Should -Not -BeNullOrEmpty
        $context.PSObject.Properties.Name | Should -Contain 'ClientId'
        $context.PSObject.Properties.Name | Should -Contain 'AppName'
        $context.PSObject.Properties.Name | Should -Contain 'Account'
        $context.PSObject.TypeNames[0] | Should -BeExactly 'Microsoft.Graph.PowerShell.Authentication.AuthContext'

        $disconnected = @(Disconnect-MgGraph -ErrorVariable disconnectErrors)
        $disconnectErrors | Should -HaveCount 0
        $disconnected | Should -HaveCount 1
        $disconnected[0].AuthType | Should -BeExactly 'UserProvidedAccessToken'

        $after = @(Get-MgContext -ErrorVariable afterErrors)
        $afterErrors | Should -HaveCount 0
        $after | Should -HaveCount 0

        $again = @(Disconnect-MgGraph -ErrorAction SilentlyContinue -ErrorVariable againErrors)
        $again | Should -HaveCount 0
        $againErrors | Should -HaveCount 1
    }

    It 'Disconnect-MgGraph with no connection writes the official error: ArgumentException, no error id, CloseError, not terminating' {
        # DisconnectMgGraph.cs: WriteError(new ErrorRecord(new ArgumentException("No application to sign out from."), string.Empty,
        # ErrorCategory.CloseError, null)).
        Disconnect-MgGraph -ErrorAction Ignore | Out-Null

        $run = Invoke-Captured { Disconnect-MgGraph; 'after' }
        $quiet = Invoke-Captured { try { Disconnect-MgGraph -ErrorAction SilentlyContinue; 'went on' } catch { 'caught' } }

        $run.Terminating | Should -BeNullOrEmpty
        $run.Output | Should -Be @('after')
        $run.Errors | Should -HaveCount 1
        $record = $run.Errors[0]
        $record.Exception.GetType() | Should -Be ([System.ArgumentException])
        $record.Exception.Message | Should -BeExactly 'No application to sign out from.'
        $record.FullyQualifiedErrorId | Should -BeExactly 'MgLicense.Commands.DisconnectMgGraph' -Because 'the official record has no error id of its own'
        $record.CategoryInfo.Category | Should -Be 'CloseError'
        $record.TargetObject | Should -BeNullOrEmpty
        $quiet.Output | Should -Be @('went on')
        $quiet.AllErrors | Should -HaveCount 0
    }

    It 'an unknown -Environment stops Connect-MgGraph with the official PSInvalidOperationException, and the connection there was stays' {
        # ConnectMgGraph.cs BeginProcessing: throw new PSInvalidOperationException(ErrorConstants.Message.InvalidEnvironment).
        Connect-TestEmulator (New-TestToken User.ReadWrite.All)
        $token = ConvertTo-TestSecureString (New-TestToken User.ReadWrite.All)

        $run = Invoke-Captured { try { Connect-MgGraph -AccessToken $token -Environment NoSuchCloud -NoWelcome; 'went on' } catch { 'caught'; $caught = $_ } } -Keep caught
        $shown = Invoke-Captured { Connect-MgGraph -AccessToken $token -Environment NoSuchCloud -NoWelcome -ErrorAction SilentlyContinue; 'after' }

        $run.Output | Should -Be @('caught') -Because 'it is terminating, as the official exception thrown from BeginProcessing'
        $record = $run.Variables.caught
        $record.Exception | Should -BeOfType [System.Management.Automation.PSInvalidOperationException]
        $record.Exception.Message | Should -BeExactly "Unable to find environment with name 'NoSuchCloud'. Use Get-MgEnvironment to list available environments."
        $record.FullyQualifiedErrorId | Should -BeExactly 'InvalidOperation,MgLicense.Commands.ConnectMgGraph'
        $record.CategoryInfo.Category | Should -Be 'InvalidOperation'
        $record.TargetObject | Should -BeNullOrEmpty
        $shown.AllErrors | Should -HaveCount 1 -Because '-ErrorAction does not hide a terminating error, as with the official cmdlet'
        (Get-MgContext).Environment | Should -BeExactly $Emulator.Environment
    }

    It 'a certificate sign-in <Case> is refused as the official parameter checks refuse it, and the connection there was stays' -ForEach @(
        @{ Case = 'with a thumbprint not 40 digits long'; Arguments = '-TenantId contoso.test -CertificateThumbprint 0011'
            Message = "'CertificateThumbprint' must have a length of 40. Ensure you have the right certificate thumbprint then try again." }
        @{ Case = 'without -TenantId'; Arguments = '-CertificateName "CN=MgLicense test"'; Message = "Must specify 'TenantId'." }
    ) {
        # ConnectMgGraph.cs ValidateParameters (AppCertificateParameterSet), in BeginProcessing: a terminating ArgumentException,
        # category InvalidArgument, before anything changes.
        Connect-TestEmulator (New-TestToken User.ReadWrite.All)

        $run = Invoke-Captured ([scriptblock]::Create("try { Connect-MgGraph -ClientId 11111111-2222-3333-4444-555555555555 $Arguments -NoWelcome; 'went on' } catch { 'caught'; `$caught = `$_ }")) -Keep caught

        $run.Output | Should -Be @('caught')
        $record = $run.Variables.caught
        $record.Exception.GetType() | Should -Be ([System.ArgumentException])
        $record.Exception.Message | Should -BeExactly $Message
        $record.CategoryInfo.Category | Should -Be 'InvalidArgument'
        (Get-MgContext).Environment | Should -BeExactly $Emulator.Environment
    }

    It 'is process-wide: a connection made in one runspace is the connection of another' {
        $first = [powershell]::Create()
        try {
            $null = $first.AddScript('param($manifest, $token) Import-Module $manifest -ErrorAction Stop; Connect-MgGraph -AccessToken $token -Environment Emulator -NoWelcome').
                AddArgument($ModuleManifest).AddArgument((ConvertTo-TestSecureString (New-TestToken User.ReadWrite.All)))
            $null = $first.Invoke()
            $first.Streams.Error | Should -HaveCount 0
            $first.HadErrors | Should -BeFalse
        } finally {
            $first.Runspace.Dispose()
            $first.Dispose()
        }

        $authType = @((Get-MgContext -ErrorVariable errors).AuthType)

        $errors | Should -HaveCount 0
        $authType | Should -HaveCount 1
        $authType[0] | Should -BeExactly 'UserProvidedAccessToken'
    }
}

Describe 'Environments' {
    It 'Get-MgEnvironment lists the built-in clouds' {
        $all = @(Get-MgEnvironment -ErrorVariable allErrors)
        $global = @(Get-MgEnvironment -Name Global)
        $wildcard = @(Get-MgEnvironment -Name NoSuch* -ErrorVariable wildcardErrors)
        $missing = @(Get-MgEnvironment -Name NoSuchCloud -ErrorAction SilentlyContinue -ErrorVariable missingErrors)

        $allErrors | Should -HaveCount 0
        $all.Name | Should -Contain 'USGov'
        $all.Name | Should -Contain 'China'
        $global | Should -HaveCount 1
        $global[0].GraphEndpoint | Should -BeExactly 'https://graph.microsoft.com'
        $global[0].AzureADEndpoint | Should -BeExactly 'https://login.microsoftonline.com'
        $global[0].Type | Should -BeExactly 'Built-in'
        $wildcardErrors | Should -HaveCount 0
        $wildcard | Should -HaveCount 0
        # As the official cmdlet (GetMgEnvironment.cs, ListEnvironments(name)): an unknown name writes nothing and no error.
        $missing | Should -HaveCount 0
        $missingErrors | Should -HaveCount 0
        # The sovereign clouds the official module lists since 2.36.1.
        foreach ($cloud in @{ BleuCloud = 'fr'; DelosCloud = 'de'; GovSGCloud = 'sg' }.GetEnumerator()) {
            $listed = @($all | Where-Object Name -EQ $cloud.Key)
            $listed | Should -HaveCount 1 -Because $cloud.Key
            $listed[0].GraphEndpoint | Should -BeExactly "https://graph.svc.sovcloud.$($cloud.Value)"
            $listed[0].AzureADEndpoint | Should -BeExactly "https://login.sovcloud-identity.$($cloud.Value)"
            $listed[0].Type | Should -BeExactly 'Built-in'
        }
    }

    It 'Add-MgEnvironment adds a user-defined environment, listed by name in any case' {
        try {
            $added = @(Add-MgEnvironment -Name Contoso -GraphEndpoint https://graph.contoso.test -AzureADEndpoint https://login.contoso.test -ErrorVariable addErrors)
            $listed = @(Get-MgEnvironment -Name contoso)

            $addErrors | Should -HaveCount 0
            $added | Should -HaveCount 1
            $added[0].Name | Should -BeExactly 'Contoso'
            $added[0].GraphEndpoint | Should -BeExactly 'https://graph.contoso.test'
            $added[0].AzureADEndpoint | Should -BeExactly 'https://login.contoso.test'
            $added[0].Type | Should -BeExactly 'User-defined'
            $listed | Should -HaveCount 1
            $listed[0].GraphEndpoint | Should -BeExactly 'https://graph.contoso.test'
        } finally {
            $null = Remove-MgEnvironment -Name Contoso -ErrorAction Ignore
        }
    }

    It 'Add-MgEnvironment takes the official positions and aliases, honours -WhatIf, and Remove-MgEnvironment writes what it removed' {
        try {
            $whatIf = @(Add-MgEnvironment -Name WhatIfCloud -AzureADUrl https://login.whatif.test -GraphUrl https://graph.whatif.test -WhatIf)
            $positional = @(Add-MgEnvironment Positional https://login.positional.test https://graph.positional.test)
            $aliased = @(Add-MgEnvironment -Name Aliased -AzureADUrl https://login.aliased.test -GraphUrl https://graph.aliased.test)

            $whatIf | Should -HaveCount 0
            @(Get-MgEnvironment -Name WhatIfCloud) | Should -HaveCount 0
            $positional[0].AzureADEndpoint | Should -BeExactly 'https://login.positional.test'
            $positional[0].GraphEndpoint | Should -BeExactly 'https://graph.positional.test'
            $aliased[0].GraphEndpoint | Should -BeExactly 'https://graph.aliased.test'

            # Get-MgEnvironment takes -Name from the pipeline by property name, as the official cmdlet does.
            @([pscustomobject]@{ Name = 'Positional' } | Get-MgEnvironment).GraphEndpoint | Should -BeExactly 'https://graph.positional.test'

            $removed = @(Remove-MgEnvironment -Name Aliased)
            $removed | Should -HaveCount 1
            $removed[0].Name | Should -BeExactly 'Aliased'
            $removed[0].PSObject.TypeNames[0] | Should -BeExactly 'Microsoft.Graph.PowerShell.Authentication.GraphEnvironment'
        } finally {
            foreach ($name in 'Positional', 'Aliased') { Get-MgEnvironment -Name $name | Remove-MgEnvironment | Out-Null }
        }
    }

    It 'Add-MgEnvironment keeps each endpoint''s base URL, as the official GetBaseUrl, and takes all three from the pipeline by property name' {
        try {
            $added = @(Add-MgEnvironment -Name BaseUrl -AzureADEndpoint 'https://Login.BaseUrl.test:443/tenant/oauth2?x=1' -GraphEndpoint 'https://graph.baseurl.test:8443/v1.0/')
            $piped = @([pscustomobject]@{ Name = 'Piped'; AzureADEndpoint = 'https://login.piped.test'; GraphEndpoint = 'https://graph.piped.test/beta' } | Add-MgEnvironment)

            $added[0].AzureADEndpoint | Should -BeExactly 'https://login.baseurl.test'
            $added[0].GraphEndpoint | Should -BeExactly 'https://graph.baseurl.test:8443'
            (Get-MgEnvironment -Name BaseUrl).GraphEndpoint | Should -BeExactly 'https://graph.baseurl.test:8443'
            $piped | Should -HaveCount 1
            $piped[0].Name | Should -BeExactly 'Piped'
            $piped[0].GraphEndpoint | Should -BeExactly 'https://graph.piped.test'
            foreach ($name in 'Name', 'AzureADEndpoint', 'GraphEndpoint') {
                (Get-Command Add-MgEnvironment).Parameters[$name].ParameterSets['__AllParameterSets'].ValueFromPipelineByPropertyName | Should -BeTrue -Because $name
            }
        } finally {
            foreach ($name in 'BaseUrl', 'Piped') { $null = Remove-MgEnvironment -Name $name -ErrorAction Ignore }
        }
    }

    It 'Add-MgEnvironment refuses <Case> with the official parameter error, and adds nothing' -ForEach @(
        @{ Case = 'a value that is no URL'; Graph = 'graph.example.test'; AzureAD = 'https://login.example.test'; Parameter = 'GraphEndpoint' }
        @{ Case = 'a relative URL'; Graph = 'https://graph.example.test'; AzureAD = '/login'; Parameter = 'AzureADEndpoint' }
    ) {
        # AddMgEnvironment.cs ValidateParameters: ThrowParameterError(ErrorConstants.Message.InvalidUrlParameter, name), a terminating
        # ArgumentException of category InvalidArgument.
        $run = Invoke-Captured { try { Add-MgEnvironment -Name Refused -AzureADEndpoint $AzureAD -GraphEndpoint $Graph; 'went on' } catch { 'caught'; $caught = $_ } } -Keep caught

        $run.Output | Should -Be @('caught')
        $record = $run.Variables.caught
        $record.Exception.GetType() | Should -Be ([System.ArgumentException])
        $record.Exception.Message | Should -BeExactly "Parameter '$Parameter' has an invalid endpoint URL. Please use a valid URL with a network protocol i.e. [protocol]://[resource-name]."
        $record.CategoryInfo.Category | Should -Be 'InvalidArgument'
        @(Get-MgEnvironment -Name Refused) | Should -HaveCount 0
    }

    It '<Case> is the official cmdlet''s exception, terminating, with its words' -ForEach @(
        @{ Case = 'Add-MgEnvironment of a built-in cloud'; Call = { Add-MgEnvironment -Name global -AzureADEndpoint https://login.x.test -GraphEndpoint https://graph.x.test }
            Type = [System.InvalidOperationException]; Message = 'Cannot add built-in environment global.'; Class = 'AddMgEnvironment' }
        @{ Case = 'Set-MgEnvironment of a built-in cloud'; Call = { Set-MgEnvironment -Name USGov -GraphEndpoint https://graph.x.test }
            Type = [System.InvalidOperationException]; Message = 'Cannot change built-in environment USGov.'; Class = 'SetMgEnvironment' }
        @{ Case = 'Remove-MgEnvironment of a built-in cloud'; Call = { Remove-MgEnvironment -Name Global }
            Type = [System.InvalidOperationException]; Message = 'Cannot remove built-in environment Global.'; Class = 'RemoveMgEnvironment' }
        @{ Case = 'Remove-MgEnvironment of an unknown name'; Call = { Remove-MgEnvironment -Name NoSuchCloud }
            Type = [System.ArgumentException]; Message = 'Environment NoSuchCloud not found.'; Class = 'RemoveMgEnvironment' }
    ) {
        # AddMgEnvironment.cs, SetMgEnvironment.cs and RemoveMgEnvironment.cs throw InvalidOperationException (CannotModifyBuiltInEnvironment);
        # GraphSettings.RemoveEnvironment throws ArgumentException("Environment X not found.", "name"). Thrown out of ProcessRecord,
        # PowerShell makes the record: the exception's type name as error id, category NotSpecified.
        $before = @(Get-MgEnvironment).Count

        $run = Invoke-Captured ([scriptblock]::Create("try { $Call; 'went on' } catch { 'caught'; `$caught = `$_ }")) -Keep caught

        $run.Output | Should -Be @('caught')
        $record = $run.Variables.caught
        $record.Exception.GetType() | Should -Be $Type
        $record.Exception.Message | Should -BeLikeExactly "$Message*"
        if ($Type -eq [System.ArgumentException]) { $record.Exception.ParamName | Should -BeExactly 'name' }
        $record.FullyQualifiedErrorId | Should -BeExactly "$($Type.FullName),MgLicense.Commands.$Class"
        $record.CategoryInfo.Category | Should -Be 'NotSpecified'
        @(Get-MgEnvironment).Count | Should -Be $before
    }

    It 'Set-MgEnvironment changes the endpoints it is given and keeps the other, or adds an environment given both, as the official cmdlet' {
        # SetMgEnvironment.cs: Name, AzureADEndpoint and GraphEndpoint at positions 0, 1 and 2, by property name from the pipeline,
        # the endpoints optional; an endpoint not given keeps its value; a new environment needs both.
        try {
            $added = @(Set-MgEnvironment -Name SetCloud -AzureADEndpoint https://login.set.test -GraphEndpoint https://graph.set.test/v1.0)
            $changed = @(Set-MgEnvironment setcloud -GraphUrl https://graph2.set.test)
            $positional = @(Set-MgEnvironment SetCloud https://login2.set.test)
            $piped = @([pscustomobject]@{ Name = 'SetCloud'; GraphEndpoint = 'https://graph3.set.test' } | Set-MgEnvironment)
            $whatIf = @(Set-MgEnvironment -Name SetCloud -GraphEndpoint https://graph4.set.test -WhatIf)
            $incomplete = Invoke-Captured { try { Set-MgEnvironment -Name NewSetCloud -GraphEndpoint https://graph.new.test; 'went on' } catch { 'caught'; $caught = $_ } } -Keep caught

            $added[0].GraphEndpoint | Should -BeExactly 'https://graph.set.test'
            $added[0].Type | Should -BeExactly 'User-defined'
            $changed[0].Name | Should -BeExactly 'SetCloud'
            $changed[0].GraphEndpoint | Should -BeExactly 'https://graph2.set.test'
            $changed[0].AzureADEndpoint | Should -BeExactly 'https://login.set.test'
            $positional[0].AzureADEndpoint | Should -BeExactly 'https://login2.set.test'
            $positional[0].GraphEndpoint | Should -BeExactly 'https://graph2.set.test'
            $piped[0].GraphEndpoint | Should -BeExactly 'https://graph3.set.test'
            $piped[0].AzureADEndpoint | Should -BeExactly 'https://login2.set.test'
            $whatIf | Should -HaveCount 0
            @(Get-MgEnvironment -Name SetCloud).GraphEndpoint | Should -BeExactly 'https://graph3.set.test'
            $incomplete.Output | Should -Be @('caught')
            $incomplete.Variables.caught.Exception.Message | Should -BeExactly "Parameter 'GraphEndpoint or AzureADEndpoint' has an invalid endpoint URL. Please use a valid URL with a network protocol i.e. [protocol]://[resource-name]."
            @(Get-MgEnvironment -Name NewSetCloud) | Should -HaveCount 0
            $command = Get-Command Set-MgEnvironment
            $command.Parameters['AzureADEndpoint'].Aliases | Should -Contain 'AzureADUrl'
            $command.Parameters['GraphEndpoint'].ParameterSets['__AllParameterSets'].IsMandatory | Should -BeFalse
        } finally {
            $null = Remove-MgEnvironment -Name SetCloud -ErrorAction Ignore
        }
    }

    It 'Add-MgEnvironment is kept for the next sessions, as the official settings file is; Remove-MgEnvironment forgets it there too' {
        $settings = Join-Path ([IO.Path]::GetTempPath()) "mgl-settings-$([guid]::NewGuid())"
        try {
            $variables = @{ MGLICENSE_SETTINGS_DIRECTORY = $settings }
            $null = Invoke-ChildPwsh 'Import-Module $env:MGLICENSE_TEST_MODULE; $null = Add-MgEnvironment -Name Kept -AzureADEndpoint https://login.kept.test -GraphEndpoint https://graph.kept.test' $variables
            $next = @(Invoke-ChildPwsh 'Import-Module $env:MGLICENSE_TEST_MODULE; (Get-MgEnvironment -Name Kept).GraphEndpoint; $null = Remove-MgEnvironment -Name Kept' $variables)
            $after = @(Invoke-ChildPwsh 'Import-Module $env:MGLICENSE_TEST_MODULE; "found: $(@(Get-MgEnvironment -Name Kept).Count)"' $variables)

            $next | Should -BeExactly 'https://graph.kept.test'
            $after | Should -BeExactly 'found: 0'
            if (-not $IsWindows) {
                # Readable by the user only, as every file MgLicense keeps.
                ([IO.File]::GetUnixFileMode($settings) -band [IO.UnixFileMode] 'GroupRead, GroupWrite, GroupExecute, OtherRead, OtherWrite, OtherExecute') | Should -Be 0
                ([IO.File]::GetUnixFileMode((Join-Path $settings environments.json)) -band [IO.UnixFileMode] 'GroupRead, OtherRead') | Should -Be 0
            }
        } finally {
            Remove-Item -Recurse -Force $settings -ErrorAction Ignore
        }
    }
}

Describe 'As the official Microsoft.Graph.Authentication' {
    AfterEach { Disconnect-MgGraph -ErrorAction Ignore | Out-Null }

    It 'not being connected is a non-terminating error for every cmdlet that calls Graph, as the official cmdlets write it: <Command>' -ForEach @(
        @{ Command = 'Invoke-MgLicenseUser'; Name = 'InvokeMgLicenseUser'; Call = { param($id) Invoke-MgLicenseUser -UserId $id } }
        @{ Command = 'Invoke-MgBetaLicenseUser'; Name = 'InvokeMgBetaLicenseUser'; Call = { param($id) Invoke-MgBetaLicenseUser -UserId $id } }
        @{ Command = 'Invoke-MgBetaLicenseUser2'; Name = 'InvokeMgBetaLicenseUser2'; Call = { param($id) Invoke-MgBetaLicenseUser2 -UserId $id } }
        @{ Command = 'Invoke-MgBetaReprocessUserCloudLicensingAssignment'; Name = 'InvokeMgBetaReprocessUserCloudLicensingAssignment'; Call = { param($id) Invoke-MgBetaReprocessUserCloudLicensingAssignment -UserId $id } }
        @{ Command = 'Get-MgUser'; Name = 'GetMgUser'; Call = { param($id) Get-MgUser -UserId $id } }
        @{ Command = 'Get-MgGroup'; Name = 'GetMgGroup'; Call = { param($id) Get-MgGroup -GroupId $id } }
        @{ Command = 'Get-MgGroupMemberWithLicenseError'; Name = 'GetMgGroupMemberWithLicenseError'; Call = { param($id) Get-MgGroupMemberWithLicenseError -GroupId $id } }
        @{ Command = 'Get-MgSubscribedSku'; Name = 'GetMgSubscribedSku'; Call = { param($id) Get-MgSubscribedSku } }
    ) {
        # The official cmdlets catch AuthenticationException "Authentication needed. Please call Connect-MgGraph."
        # (ErrorConstants.cs) and write ErrorRecord(ex, "", NotSpecified, null) (autorest class.ts): no error id of
        # their own, not terminating, so a script goes on after it and `try {} catch {}` needs -ErrorAction Stop.
        Disconnect-MgGraph -ErrorAction Ignore | Out-Null
        $reached = $false
        $caught = $false
        try {
            $written = @(& $Call 'someone@contoso.com' 2>&1)
            $reached = $true
        } catch {
            $caught = $true
        }

        $notConnected = @($written | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })

        $caught | Should -BeFalse
        $reached | Should -BeTrue
        $notConnected | Should -HaveCount 1
        $record = $notConnected[0]
        $record.Exception | Should -BeOfType [System.Security.Authentication.AuthenticationException]
        $record.Exception.Message | Should -BeExactly 'Authentication needed. Please call Connect-MgGraph.'
        $record.CategoryInfo.Category | Should -Be 'NotSpecified'
        $record.TargetObject | Should -BeNullOrEmpty
        $record.FullyQualifiedErrorId | Should -Not -Match ','
        $record.FullyQualifiedErrorId | Should -Match $Name
    }

    It 'not connected, each piped input gets its error and the pipeline goes on, as with the official cmdlets' {
        Disconnect-MgGraph -ErrorAction Ignore | Out-Null
        $after = @('a@contoso.com', 'b@contoso.com', 'c@contoso.com' | ForEach-Object { @{ UserId = $_ } } |
                Invoke-MgLicenseUser -ErrorAction SilentlyContinue -ErrorVariable notConnected; 'after')

        $notConnected | Should -HaveCount 3
        $after | Should -Be @('after')
    }

    It 'has the official positions and aliases: 2nd positional is -TenantId, -AccessToken is positional, -Credential/-SecretCredential, Connect-Graph, Disconnect-Graph -SignOutFromBroker' {
        $command = Get-Command Connect-MgGraph
        $bound = [System.Management.Automation.Language.StaticParameterBinder]::BindCommand(
            [System.Management.Automation.Language.Parser]::ParseInput("Connect-MgGraph 'User.Read.All' 'contoso.onmicrosoft.com'", [ref] $null, [ref] $null).EndBlock.Statements[0].PipelineElements[0], $true)
        $bound.BoundParameters['TenantId'].ConstantValue | Should -BeExactly 'contoso.onmicrosoft.com'
        $bound.BoundParameters.ContainsKey('ClientId') | Should -BeFalse
        $command.Parameters['AccessToken'].ParameterSets['AccessTokenParameterSet'].Position | Should -Be 1
        $command.Parameters['Scopes'].ParameterSets['UserParameterSet'].Position | Should -Be 1
        $command.Parameters['TenantId'].ParameterSets['AppSecretCredentialParameterSet'].Position | Should -BeLessThan 0
        $command.Parameters['ClientSecretCredential'].Aliases | Should -Contain 'Credential'
        $command.Parameters['ClientSecretCredential'].Aliases | Should -Contain 'SecretCredential'
        (Get-Alias Connect-Graph).ResolvedCommand.Name | Should -BeExactly 'Connect-MgGraph'
        (Get-Alias Disconnect-Graph).ResolvedCommand.Name | Should -BeExactly 'Disconnect-MgGraph'

        $null = Connect-Graph -AccessToken (ConvertTo-TestSecureString (New-TestToken User.ReadWrite.All)) -Environment $Emulator.Environment -NoWelcome
        $ended = @(Disconnect-Graph -SignOutFromBroker)
        $ended | Should -HaveCount 1
        @(Get-MgContext) | Should -HaveCount 0
    }

    It 'Get-MgContext has the official AuthContext properties, in its order, with its enum types' {
        $null = Connect-MgGraph (ConvertTo-TestSecureString (New-TestToken User.ReadWrite.All)) -Environment $Emulator.Environment -ClientTimeout 42

        $context = Get-MgContext

        # IAuthContext.cs and the official Get-MgContext output, then MgLicense's ExpiresOn.
        $context.PSObject.Properties.Name | Should -Be @('ClientId', 'TenantId', 'Scopes', 'AuthType', 'TokenCredentialType', 'CertificateThumbprint',
            'CertificateSubjectName', 'SendCertificateChain', 'Account', 'AppName', 'ContextScope', 'Certificate', 'PSHostVersion', 'ManagedIdentityId',
            'ClientSecret', 'Environment', 'ExpiresOn')
        $context.AuthType | Should -BeOfType [Microsoft.Graph.PowerShell.Authentication.AuthenticationType]
        $context.AuthType | Should -Be ([Microsoft.Graph.PowerShell.Authentication.AuthenticationType]::UserProvidedAccessToken)
        $context.TokenCredentialType | Should -BeOfType [Microsoft.Graph.PowerShell.Authentication.TokenCredentialType]
        # An access token is always Process in the official module, whatever was asked.
        $context.ContextScope | Should -Be ([Microsoft.Graph.PowerShell.Authentication.ContextScope]::Process)
        $context.PSHostVersion | Should -Be $Host.Version
        $context.SendCertificateChain | Should -BeFalse
        $context.ClientSecret | Should -BeNullOrEmpty
        [int] [Microsoft.Graph.PowerShell.Authentication.AuthenticationType]::ManagedIdentity | Should -Be 3
        [int] [Microsoft.Graph.PowerShell.Authentication.TokenCredentialType]::ClientSecret | Should -Be 5
        [int] [Microsoft.Graph.PowerShell.Authentication.ContextScope]::CurrentUser | Should -Be 1
        # -ClientTimeout sets the session's request timeout, as the official module's RequestContext.ClientTimeout.
        (Get-MgRequestContext).ClientTimeout | Should -Be ([timespan]::FromSeconds(42))
        Set-MgRequestContext -ClientTimeout 300 | Out-Null
    }
}
