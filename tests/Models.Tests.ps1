# Users come as typed models (MgLicense.Models.User): typed properties, AdditionalProperties for the
# rest, and what no model declares still reachable by name.

BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Emulator = Start-TestEmulator
    $script:Adele = '047dd774-f1c4-40f2-82f0-278de79f9b83'
}

AfterAll { Stop-TestEmulator $script:Emulator }

Describe 'The user model' {
    It '<Call> writes the typed model with typed license states' -ForEach @(
        @{ Call = { Invoke-MgLicenseUser -UserId $id } }
        @{ Call = { Invoke-MgBetaLicenseUser -UserId $id } }
        @{ Call = { Get-MgUser -UserId $id -Property id, accountEnabled, assignedLicenses, licenseAssignmentStates } }
    ) {
        Connect-TestEmulator (New-TestToken User.ReadWrite.All)
        $id = $Adele

        $result = Invoke-Captured {
            $u = & $Call
            $u.psobject.BaseObject.GetType().FullName; $u.AccountEnabled.GetType().FullName
            $u.LicenseAssignmentStates[0].GetType().FullName; $u.LicenseAssignmentStates[0].LastUpdatedDateTime.GetType().FullName
            $u.LicenseAssignmentStates[0].Error; @($u.AssignedLicenses.SkuId).Count; $u.AdditionalProperties['@odata.context']
        }

        $result.AllErrors.Count | Should -Be 0
        $shown = $result.Output
        $shown | Should -HaveCount 7
        $shown[0] | Should -BeExactly 'MgLicense.Models.User'
        $shown[1] | Should -BeExactly 'System.Boolean'
        $shown[2] | Should -BeExactly 'MgLicense.Models.LicenseAssignmentState'
        $shown[3] | Should -BeExactly 'System.DateTime'
        $shown[4] | Should -BeOfType [string]
        $shown[4] | Should -BeExactly 'None'
        $shown[5] | Should -BeOfType [int]
        $shown[5] | Should -BeGreaterThan 0
        $shown[6] | Should -BeOfType [string]
        $shown[6] | Should -BeLikeExactly '*$metadata#users*'
    }

    It 'keeps a selected property no model declares in AdditionalProperties, reachable by name' {
        $id = [guid]::NewGuid().ToString()
        $null = Invoke-EmulatorAdmin POST users @{
            id                = $id
            userPrincipalName = "model.$($id.Substring(0, 8))@contoso.com"
            displayName       = 'Model Test'
            extension_b7d8e648520f41d3b9c0fdeb91768a0a_employeeBadge     = 'B-7'
        }
        try {
            Connect-TestEmulator (New-TestToken User.ReadWrite.All)

            $result = Invoke-Captured {
                $u = Get-MgUser -UserId $id -Property id, extension_b7d8e648520f41d3b9c0fdeb91768a0a_employeeBadge
                $u.AdditionalProperties['extension_b7d8e648520f41d3b9c0fdeb91768a0a_employeeBadge']; $u.Extension_b7d8e648520f41d3b9c0fdeb91768a0a_employeeBadge; $u.Id
            }

            $result.AllErrors.Count | Should -Be 0
            $result.Output | Should -HaveCount 3
            $result.Output[0] | Should -BeExactly 'B-7'
            $result.Output[1] | Should -BeExactly 'B-7'
            $result.Output[2] | Should -BeExactly $id
            $result.Output | ForEach-Object { $_ | Should -BeOfType [string] }
        } finally {
            $null = Invoke-EmulatorAdmin DELETE "users/$id"
        }
    }

    It 'keeps a value of another JSON type than declared raw in AdditionalProperties' {
        $body = '{"id":"u1","accountEnabled":"yes","assignedLicenses":[{"skuId":7,"disabledPlans":[]}],"createdDateTime":"not a date","displayName":"Odd"}'
        $odd = New-StubGraph "HTTP/1.1 200 OK`r`nContent-Type: application/json`r`nContent-Length: $($body.Length)`r`n`r`n$body"
        try {
            Connect-StubGraph $odd (New-TestToken User.ReadWrite.All)

            $result = Invoke-Captured {
                $u = Get-MgUser -UserId u1
                $null -eq $u.AccountEnabled; $u.AdditionalProperties['accountEnabled']
                $null -eq $u.AssignedLicenses[0].SkuId; $u.AssignedLicenses[0].AdditionalProperties['skuId']
                $u.AdditionalProperties['createdDateTime']; $u.DisplayName
            }

            $result.AllErrors.Count | Should -Be 0
            $result.Output | Should -HaveCount 6
            $result.Output[0] | Should -BeOfType [bool]
            $result.Output[0] | Should -BeTrue
            $result.Output[1] | Should -BeOfType [string]
            $result.Output[1] | Should -BeExactly 'yes'
            $result.Output[2] | Should -BeOfType [bool]
            $result.Output[2] | Should -BeTrue
            $result.Output[3] | Should -BeOfType [int]
            $result.Output[3] | Should -Be 7
            $result.Output[4] | Should -BeOfType [string]
            $result.Output[4] | Should -BeExactly 'not a date'
            $result.Output[5] | Should -BeOfType [string]
            $result.Output[5] | Should -BeExactly 'Odd'
        } finally {
            Disconnect-MgGraph -ErrorAction Ignore | Out-Null
            Get-MgEnvironment | Where-Object GraphEndpoint -EQ $odd.Url | ForEach-Object { Remove-MgEnvironment -Name $_.Name }
            $odd.Dispose()
        }
    }
}
