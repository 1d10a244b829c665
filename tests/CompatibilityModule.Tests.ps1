# Install-MgLicenseCompatibilityModule: stand-ins with the Microsoft Graph SDK's module names, so a script written for
# the SDK (Import-Module Microsoft.Graph.Users.Actions, #Requires -Modules Microsoft.Graph.Users) runs unchanged with
# MgLicense alone, and gives way to the SDK wherever the SDK is installed. Each case runs in a child pwsh whose
# PSModulePath holds only the folders of the test.

BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Emulator = Start-TestEmulator
    $script:Root = Join-Path ([System.IO.Path]::GetTempPath()) "mglicense-standins-$PID"

    # A child pwsh that sees only $Folders (and PowerShell's own modules); MgLicense is not imported unless the command does.
    function Invoke-WithModulePath([string[]] $Folders, [string] $Command, [hashtable] $Environment = @{}) {
        $path = @($Folders) + (Join-Path $PSHOME 'Modules') -join [System.IO.Path]::PathSeparator
        # pwsh puts the user's and the machine's module folders in front of PSModulePath at startup: the child takes them out.
        $prologue = "`$env:PSModulePath = '$path'`n"
        Invoke-ChildPwsh ($prologue + $Command) ($Environment + @{ MGLICENSE_TEST_URL = $Emulator.Url })
    }

    # Runs $Text as a script file (#Requires applies to script files only) in a child pwsh with Invoke-WithModulePath.
    function Invoke-ScriptWithModulePath([string[]] $Folders, [string] $Text, [hashtable] $Environment = @{}) {
        $file = Join-Path $Root "script-$([guid]::NewGuid()).ps1"
        Set-Content $file $Text
        Invoke-WithModulePath $Folders "& '$file'" $Environment
    }

    # A stand-in of the SDK's own module, as the SDK ships it to the test: its functions say they are the SDK's.
    function New-FakeSdkModule([string] $Folder, [string] $Name, [string[]] $Functions) {
        $dir = New-Item -ItemType Directory -Force (Join-Path $Folder $Name '2.30.0')
        $body = ($Functions | ForEach-Object { "function $_ { 'the SDK''s $_' }" }) -join "`n"
        Set-Content (Join-Path $dir "$Name.psm1") $body
        $list = ($Functions | ForEach-Object { "'$_'" }) -join ', '
        Set-Content (Join-Path $dir "$Name.psd1") "@{ RootModule = '$Name.psm1'; ModuleVersion = '2.30.0'; GUID = '$([guid]::NewGuid())'; FunctionsToExport = @($list); CmdletsToExport = @() }"
    }
}

AfterAll {
    Stop-TestEmulator $script:Emulator
    Remove-Item -Recurse -Force $script:Root -ErrorAction Ignore
}

Describe 'Install-MgLicenseCompatibilityModule' {
    BeforeAll {
        $script:StandIns = Join-Path $Root 'standins'
        $script:Installed = @(Install-MgLicenseCompatibilityModule -Path $StandIns -WarningAction SilentlyContinue)
    }

    It 'writes one stand-in per SDK module MgLicense has commands of, each with that module''s commands' {
        $Installed.Name | Should -Be @(
            'Microsoft.Graph.Authentication', 'Microsoft.Graph.Users', 'Microsoft.Graph.Users.Actions',
            'Microsoft.Graph.Beta.Users.Actions', 'Microsoft.Graph.Groups', 'Microsoft.Graph.Identity.DirectoryManagement')
        ($Installed | Where-Object Name -eq 'Microsoft.Graph.Users.Actions').Commands | Should -Contain 'Invoke-MgLicenseUser'
        ($Installed | Where-Object Name -eq 'Microsoft.Graph.Authentication').Commands | Should -Contain 'Connect-MgGraph'
        ($Installed | Where-Object Name -eq 'Microsoft.Graph.Authentication').Commands | Should -Contain 'Invoke-GraphRequest'
        ($Installed | Where-Object Name -eq 'Microsoft.Graph.Groups').Commands | Should -Contain 'Get-MgGroupMemberWithLicenseError'
        foreach ($module in $Installed) {
            Test-Path $module.Path | Should -BeTrue
            $manifest = Import-PowerShellDataFile $module.Path
            $manifest.ModuleVersion | Should -BeExactly '2.0.0'
            # The official aliases (Connect-Graph, Disconnect-Graph, Invoke-GraphRequest) are the stand-in's aliases.
            @(@($manifest.CmdletsToExport) + @($manifest.AliasesToExport)) | Should -Be @($module.Commands)
        }
    }

    It 'runs a script written for the SDK unchanged: #Requires, Import-Module, Connect-MgGraph, Invoke-MgLicenseUser' {
        $user = $TestUsers[0].id
        $script = @"
#Requires -Modules Microsoft.Graph.Users
`$null = Add-MgEnvironment -Name Emulator -GraphEndpoint `$env:MGLICENSE_TEST_URL -AzureADEndpoint `$env:MGLICENSE_TEST_URL
Import-Module Microsoft.Graph.Authentication
Import-Module Microsoft.Graph.Users.Actions
Connect-MgGraph -AccessToken (ConvertTo-SecureString `$env:MGLICENSE_TEST_TOKEN -AsPlainText -Force) -Environment Emulator -NoWelcome
(Get-MgUser -UserId '$user').Id
(Invoke-MgLicenseUser -UserId '$user').Id
(Get-Command Invoke-MgLicenseUser).Source
(Get-Command Get-MgUser).Source
(Get-Command Invoke-MgLicenseUser).ImplementingType.FullName
"@
        $output = @(Invoke-ScriptWithModulePath @($StandIns) $script @{ MGLICENSE_TEST_TOKEN = (New-TestToken User.ReadWrite.All) })

        $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
        $output | Should -Be @($user, $user, 'Microsoft.Graph.Users.Actions', 'Microsoft.Graph.Users', 'MgLicense.Commands.InvokeMgLicenseUser')
    }

    It 'is not found without the stand-ins: the same script stops at #Requires' {
        $output = @(Invoke-ScriptWithModulePath @() "#Requires -Modules Microsoft.Graph.Users`n'ran'" 2>&1)

        ($output -join "`n") | Should -Not -Match '(?m)^ran$'
        ($output -join "`n") | Should -BeLike '*Microsoft.Graph.Users*'
    }

    It 'gives way to the SDK where the SDK is installed, even ahead of it in PSModulePath' {
        $sdk = Join-Path $Root 'sdk'
        New-FakeSdkModule $sdk 'Microsoft.Graph.Authentication' 'Connect-MgGraph'
        New-FakeSdkModule $sdk 'Microsoft.Graph.Users' 'Get-MgUser'

        $output = @(Invoke-WithModulePath @($StandIns, $sdk) "Import-Module Microsoft.Graph.Users; Get-MgUser; (Get-Command Get-MgUser).CommandType.ToString(); @(Get-Module MgLicense).Count")

        $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
        $output | Should -Be @('the SDK''s Get-MgUser', 'Function', '0')
    }

    It 'says which SDK module is missing when the SDK is installed without it' {
        $sdk = Join-Path $Root 'sdk-auth-only'
        New-FakeSdkModule $sdk 'Microsoft.Graph.Authentication' 'Connect-MgGraph'

        $output = @(Invoke-WithModulePath @($StandIns, $sdk) "try { Import-Module Microsoft.Graph.Users.Actions -ErrorAction Stop; 'imported' } catch { `$_.Exception.Message }")

        ($output -join "`n") | Should -BeLikeExactly "*SDK's Microsoft.Graph.Users.Actions*-PreferMgLicense*"
    }

    It 'serves MgLicense where the SDK is installed too when installed with -PreferMgLicense' {
        $preferred = Join-Path $Root 'preferred'
        $sdk = Join-Path $Root 'sdk'
        $null = Install-MgLicenseCompatibilityModule -Path $preferred -Name Microsoft.Graph.Users -PreferMgLicense -WarningAction SilentlyContinue

        $output = @(Invoke-WithModulePath @($preferred, $sdk) "Import-Module Microsoft.Graph.Users; (Get-Command Get-MgUser).ImplementingType.FullName")

        $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
        $output | Should -Be @('MgLicense.Commands.GetMgUser')
    }

    It 'declares the version it is given, for scripts that require one' {
        $versioned = Join-Path $Root 'versioned'
        $null = Install-MgLicenseCompatibilityModule -Path $versioned -Name Microsoft.Graph.Users -ModuleVersion 2.25.0 -WarningAction SilentlyContinue

        $output = @(Invoke-ScriptWithModulePath @($versioned) "#Requires -Modules @{ ModuleName = 'Microsoft.Graph.Users'; ModuleVersion = '2.25.0' }`n(Get-Module Microsoft.Graph.Users).Version.ToString()")

        $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
        $output | Should -Be @('2.25.0')
    }

    It 'never overwrites a module of the SDK, and says so' {
        $mixed = Join-Path $Root 'mixed'
        New-FakeSdkModule $mixed 'Microsoft.Graph.Users' 'Get-MgUser'
        $sdkManifest = Join-Path $mixed 'Microsoft.Graph.Users' '2.30.0' 'Microsoft.Graph.Users.psd1'
        $before = Get-Content -Raw $sdkManifest

        $written = @(Install-MgLicenseCompatibilityModule -Path $mixed -Name Microsoft.Graph.Users -ModuleVersion 2.30.0 -ErrorVariable refused -ErrorAction SilentlyContinue -WarningAction SilentlyContinue)

        $written | Should -HaveCount 0
        $refused | Should -HaveCount 1
        $refused[0].FullyQualifiedErrorId | Should -BeLikeExactly 'SdkModuleInTheWay,*'
        Get-Content -Raw $sdkManifest | Should -BeExactly $before
    }

    It 'writes nothing with -WhatIf' {
        $whatIf = Join-Path $Root 'whatif'

        $written = @(Install-MgLicenseCompatibilityModule -Path $whatIf -WhatIf)

        $written | Should -HaveCount 0
        Test-Path $whatIf | Should -BeFalse
    }
}
