# -WhatIf as a person at the console meets it, for every reprocess cmdlet; the emulator's request log proves
# what was sent. (-Confirm prompts answered by script stay in xunit: tests/MgLicense.Tests/ShouldProcessTests.cs.)

BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Emulator = Start-TestEmulator
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
        $mark = Get-RequestMark
        $shown = @(Invoke-ChildPwsh $Command -Token $Token -Variable @{ id = $TestUsers[0].id })
        $sent = @(Get-RequestSince $mark)

        $LASTEXITCODE | Should -Be 0
        $sent.Count | Should -Be 0
        $shown -join "`n" | Should -BeExactly "What if: Performing the operation ""$Operation"" on target ""Call remote 'POST $Path' operation""."
    }

    It '$WhatIfPreference = $true works as -WhatIf' {
        $mark = Get-RequestMark
        $shown = @(Invoke-ChildPwsh '$WhatIfPreference = $true; Invoke-MgLicenseUser -UserId $id' -Token $Token -Variable @{ id = $TestUsers[0].id })
        $sent = @(Get-RequestSince $mark)

        $LASTEXITCODE | Should -Be 0
        $sent.Count | Should -Be 0
        $shown -join "`n" | Should -BeExactly "What if: Performing the operation ""Invoke-MgLicenseUser_License"" on target ""Call remote 'POST /users/{user-id}/reprocessLicenseAssignment' operation""."
    }
}
