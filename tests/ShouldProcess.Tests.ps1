# -WhatIf as a person at the console meets it, for every reprocess cmdlet; the emulator's request log proves
# what was sent. (-Confirm prompts answered by script stay in xunit: tests/MgLicense.Tests/ShouldProcessTests.cs.)

BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Emulator = Start-TestEmulator

    # A pwsh of its own, connected to this file's emulator with -Token, running -Script with $id set to -UserId:
    # what its console showed (output, What if lines and errors, merged), as text.
    function Invoke-ConnectedChildPwsh([string] $Script, [string] $Token, [string] $UserId) {
        $prologue = @'
$ErrorActionPreference = 'Stop'
Import-Module $env:MGLICENSE_TEST_MODULE
$null = Add-MgEnvironment -Name Emulator -GraphEndpoint $env:MGLICENSE_TEST_URL -AzureADEndpoint $env:MGLICENSE_TEST_URL
Connect-MgGraph -AccessToken (ConvertTo-SecureString $env:MGLICENSE_TEST_TOKEN -AsPlainText -Force) -Environment Emulator -NoWelcome
$ErrorActionPreference = 'Continue'
$id = $env:MGLICENSE_TEST_USER

'@
        Invoke-ChildPwsh -Command ($prologue + $Script) -Environment @{
            MGLICENSE_TEST_URL = $Emulator.Url; MGLICENSE_TEST_TOKEN = $Token; MGLICENSE_TEST_USER = $UserId
        }
    }
}

AfterAll { Stop-TestEmulator $script:Emulator }

Describe '-WhatIf' {
    BeforeAll { $script:Token = New-TestToken User.ReadWrite.All }

    It '<Command> prints the official What if line and sends nothing' -ForEach @(
        @{ Command = 'Invoke-MgLicenseUser -UserId $id -WhatIf'; Operation = 'Invoke-MgLicenseUser_License'; Path = '/users/{user-id}/reprocessLicenseAssignment' }
        @{ Command = '$id | Invoke-MgLicenseUser -WhatIf'; Operation = 'Invoke-MgLicenseUser_LicenseViaIdentity'; Path = '/users/{user-id}/reprocessLicenseAssignment' }
        @{ Command = 'Invoke-MgBetaLicenseUser -UserId $id -WhatIf'; Operation = 'Invoke-MgBetaLicenseUser_License'; Path = '/users/{user-id}/reprocessLicenseAssignment' }
        @{ Command = '@{ UserId = $id } | Invoke-MgBetaLicenseUser -WhatIf'; Operation = 'Invoke-MgBetaLicenseUser_LicenseViaIdentity'; Path = '/users/{user-id}/reprocessLicenseAssignment' }
        @{ Command = 'Invoke-MgBetaReprocessUserCloudLicensingAssignment -UserId $id -PassThru -WhatIf'; Operation = 'Invoke-MgBetaReprocessUserCloudLicensingAssignment_Reprocess'; Path = '/users/{user-id}/cloudLicensing/assignments/reprocessAssignments' }
        @{ Command = '@{ UserId = $id } | Invoke-MgBetaReprocessUserCloudLicensingAssignment -WhatIf'; Operation = 'Invoke-MgBetaReprocessUserCloudLicensingAssignment_ReprocessViaIdentity'; Path = '/users/{user-id}/cloudLicensing/assignments/reprocessAssignments' }
        @{ Command = 'Invoke-MgBetaLicenseUser2 -UserId $id -WhatIf'; Operation = 'Invoke-MgBetaLicenseUser2_License'; Path = '/users/{user-id}/reprocessLicenseAssignment2' }
        @{ Command = '@{ UserId = $id } | Invoke-MgBetaLicenseUser2 -WhatIf'; Operation = 'Invoke-MgBetaLicenseUser2_LicenseViaIdentity'; Path = '/users/{user-id}/reprocessLicenseAssignment2' }
        @{ Command = 'Invoke-MgBetaLicenseUser2 -Me -WhatIf'; Operation = 'Invoke-MgBetaLicenseUser2_Me'; Path = '/me/reprocessLicenseAssignment2' }
    ) {
        # The What if line is written to the console, not to a stream: a pwsh of its own shows it. Anything
        # else it showed (output, an error) would be a line more.
        $sent = @(Get-RequestDuring { $script:shown = @(Invoke-ConnectedChildPwsh $Command $Token $TestUsers[0].id) })

        $LASTEXITCODE | Should -Be 0
        $sent.Count | Should -Be 0
        $shown -join "`n" | Should -BeExactly "What if: Performing the operation ""$Operation"" on target ""Call remote 'POST $Path' operation""."
    }

    It '$WhatIfPreference = $true works as -WhatIf' {
        $sent = @(Get-RequestDuring { $script:shown = @(Invoke-ConnectedChildPwsh '$WhatIfPreference = $true; Invoke-MgLicenseUser -UserId $id' $Token $TestUsers[0].id) })

        $LASTEXITCODE | Should -Be 0
        $sent.Count | Should -Be 0
        $shown -join "`n" | Should -BeExactly "What if: Performing the operation ""Invoke-MgLicenseUser_License"" on target ""Call remote 'POST /users/{user-id}/reprocessLicenseAssignment' operation""."
    }
}
