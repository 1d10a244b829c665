# Connect-MgGraph, Get-MgContext, Disconnect-MgGraph and the environment cmdlets, as a script uses them.

BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Emulator = Start-TestEmulator
}

AfterAll { Stop-TestEmulator $script:Emulator }

Describe 'Connect-MgGraph' {
    AfterEach { Disconnect-MgGraph -ErrorAction Ignore | Out-Null }

    It 'welcomes on the console unless told not to, and writes no output' {
        # The welcome is written to the host, so only a console shows it: a pwsh of its own, as a person runs it.
        $secure = '$token = ConvertTo-SecureString $token -AsPlainText -Force; '
        $shown = @(Invoke-ChildPwsh ($secure + '$output = @(Connect-MgGraph -AccessToken $token -Environment Emulator); Write-Host "output objects: $($output.Count)"') `
                -WithModule -Variable @{ token = (New-TestToken User.ReadWrite.All) })
        $quiet = @(Invoke-ChildPwsh ($secure + 'Connect-MgGraph -AccessToken $token -Environment Emulator -NoWelcome') -WithModule -Variable @{ token = (New-TestToken User.ReadWrite.All) })

        $shown[0] | Should -BeExactly 'Welcome to Microsoft Graph!'
        @($shown | Where-Object { $_.StartsWith('Connected via userprovidedaccesstoken access using ') }).Count | Should -BeGreaterThan 0
        $shown | Should -Contain 'NOTE: You can use the -NoWelcome parameter to suppress this message.'
        $shown[-1] | Should -BeExactly 'output objects: 0'
        $quiet | Should -HaveCount 0
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
        $againErrors[0].FullyQualifiedErrorId | Should -BeExactly 'NotConnected,MgLicense.Commands.DisconnectMgGraph'
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
        $missing | Should -HaveCount 0
        $missingErrors | Should -HaveCount 1
        $missingErrors[0].FullyQualifiedErrorId | Should -BeExactly 'EnvironmentNotFound,MgLicense.Commands.GetMgEnvironment'
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
            Remove-MgEnvironment -Name Contoso -ErrorAction Ignore
        }
    }
}
