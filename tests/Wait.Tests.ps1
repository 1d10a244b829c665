# -Wait on the reprocess cmdlets against the emulator processing asynchronously: the user is written
# with its final states, and each license still in error is named with its SKU, group, error and fix.

BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Emulator = Start-TestEmulator
    $script:E3 = '05e9a617-0261-4cee-bb44-138d3ef5d965'
    $script:PowerBiPro = 'f8a1db68-be16-40ed-86d5-cb42ce701560'

    # Connects with the token and runs the script while the emulator processes reprocessed users
    # 300 ms after the call, as Entra does some time after it; processing is immediate again after.
    function Invoke-WithProcessingDelay([scriptblock] $Script, [string] $Token = (New-TestToken User.ReadWrite.All, Directory.Read.All)) {
        Connect-TestEmulator $Token
        $null = Invoke-EmulatorAdmin PUT processing @{ delayMs = 300 }
        try { Invoke-Captured $Script } finally { $null = Invoke-EmulatorAdmin PUT processing @{ delayMs = 0 } }
    }

    # A user of its own for one test, removed afterwards: direct E3 and Power BI Pro, processed without a
    # usage location (both in error), then given one, so that reprocessing changes both states: E3 becomes
    # Active, Power BI Pro fails on its plans' conflict with E3's. The call's own answer carries the old
    # states, so only a read-back shows the new ones.
    function New-UserWhoseStatesChangeOnReprocessing {
        $id = [guid]::NewGuid().ToString()
        $null = Invoke-EmulatorAdmin POST users @{
            id                = $id
            userPrincipalName = "wait.$($id.Substring(0, 8))@contoso.com"
            displayName       = 'Wait Test'
            directLicenses    = @(@{ skuId = $E3 }, @{ skuId = $PowerBiPro })
        }
        $null = Invoke-EmulatorAdmin POST "users/$id/process"
        $null = Invoke-EmulatorAdmin PATCH "users/$id" '{"usageLocation":"US"}'
        $id
    }

    # A user's license states by SKU id, each as 'State|Error' (a SKU twice is an error).
    function Get-StateBySku($User) {
        $bySku = [System.Collections.Generic.Dictionary[string, string]]::new()
        $states = $User.PSObject.Properties['LicenseAssignmentStates'].Value
        [object[]].IsAssignableFrom($states.GetType()) | Should -BeTrue
        foreach ($state in $states) {
            $bySku.Add("$($state.SkuId)", "$($state.State)|$($state.Error)")
        }
        $bySku
    }
}

AfterAll { Stop-TestEmulator $script:Emulator }

Describe 'Invoke-MgLicenseUser -Wait' {
    It 'writes a healthy user with its states and no warning' {
        $id = Get-TestUserId 'AdeleV@contoso.com'

        $result = Invoke-WithProcessingDelay { Invoke-MgLicenseUser -UserId $id -Wait }

        $result.AllErrors.Count | Should -Be 0
        $result.Output | Should -HaveCount 1
        $result.Output[0].PSObject.TypeNames[0] | Should -BeExactly 'Microsoft.Graph.PowerShell.Models.MicrosoftGraphUser'
        $states = $result.Output[0].PSObject.Properties['LicenseAssignmentStates'].Value
        [object[]].IsAssignableFrom($states.GetType()) | Should -BeTrue
        $states | Should -HaveCount 1
        $states[0].State | Should -BeOfType [string]
        $states[0].State | Should -BeExactly 'Active'
        $result.Warnings.Count | Should -Be 0
    }

    It 'names a license still in error with its SKU, group and fix' {
        $id = Get-TestUserId 'MeganB@contoso.com'

        $mark = Get-RequestMark
        $result = Invoke-WithProcessingDelay { Invoke-MgLicenseUser -UserId $id -Wait -TimeoutSec 2 }
        $requests = @(Get-RequestSince $mark)

        $result.AllErrors.Count | Should -Be 0
        $result.Output | Should -HaveCount 1
        $states = $result.Output[0].PSObject.Properties['LicenseAssignmentStates'].Value
        [object[]].IsAssignableFrom($states.GetType()) | Should -BeTrue
        $state = $states[0]
        $state.Error | Should -BeOfType [string]
        $state.Error | Should -BeExactly 'CountViolation'
        $countViolations = @($result.Warnings | Where-Object { $_.Contains('CountViolation') })
        $countViolations | Should -HaveCount 1
        $countViolations[0] | Should -BeLikeExactly '*POWER_BI_PRO*'
        $countViolations[0] | Should -BeLikeExactly "*'Power BI Pro'*"
        $countViolations[0] | Should -BeLikeExactly '*free seats or buy more*'
        @($result.Warnings | Where-Object { $_.Contains('not all processed within 2 s') }).Count | Should -BeGreaterThan 0 -Because ($result.Warnings -join "`n")
        @($requests | Where-Object method -CEQ 'POST') | Should -HaveCount 1
        @($requests | Where-Object { $_.method -ceq 'GET' -and $_.path -ceq "/v1.0/users/$id" }).Count | Should -BeGreaterThan 0
    }

    It 'writes each user of a pipeline once, in input order' {
        $upns = 'AdeleV@contoso.com', 'MeganB@contoso.com', "patrick.o'brien@contoso.com"

        $result = Invoke-WithProcessingDelay { $upns | ForEach-Object { @{ UserId = $_ } } | Invoke-MgLicenseUser -Wait -TimeoutSec 2 }

        $result.AllErrors.Count | Should -Be 0
        $result.Output | Should -HaveCount $upns.Count
        for ($i = 0; $i -lt $upns.Count; $i++) {
            $result.Output[$i].UserPrincipalName | Should -BeOfType [string]
            $result.Output[$i].UserPrincipalName | Should -BeExactly $upns[$i]
        }
        @($result.Warnings | Where-Object { $_.Contains('MeganB@contoso.com') -and $_.Contains('CountViolation') }).Count | Should -BeGreaterThan 0
    }

    It 'reads nothing back without -Wait' {
        $mark = Get-RequestMark
        $result = Invoke-WithProcessingDelay { Invoke-MgLicenseUser -UserId MeganB@contoso.com }
        $requests = @(Get-RequestSince $mark)

        $result.AllErrors.Count | Should -Be 0
        @($requests | Where-Object method -CEQ 'GET').Count | Should -Be 0
        $result.Warnings.Count | Should -Be 0
    }

    It 'names SKUs and groups by id without permission to read them' {
        $id = Get-TestUserId 'MeganB@contoso.com'

        $mark = Get-RequestMark
        $result = Invoke-WithProcessingDelay -Token (New-TestToken User.ReadWrite.All) { Invoke-MgLicenseUser -UserId $id -Wait -TimeoutSec 1 }
        $requests = @(Get-RequestSince $mark)

        $result.AllErrors.Count | Should -Be 0
        $result.Output | Should -HaveCount 1
        $countViolations = @($result.Warnings | Where-Object { $_.Contains('CountViolation') })
        $countViolations | Should -HaveCount 1
        $countViolations[0].Contains("license $PowerBiPro from group c7d2e8f4-1a3b-4c5d-9e6f-7a8b9c0d1e2f is Error") | Should -BeTrue -Because $countViolations[0]
        $countViolations[0].Contains('POWER_BI_PRO') | Should -BeFalse -Because $countViolations[0]
        $countViolations[0].Contains('Power BI Pro') | Should -BeFalse -Because $countViolations[0]
        # The names were asked for and refused, not skipped.
        @($requests | Where-Object { $_.path -ceq '/v1.0/subscribedSkus' -and $_.status -eq 403 }).Count | Should -BeGreaterThan 0
    }
}

Describe 'The beta reprocess cmdlets with -Wait' {
    It '<Cmdlet> writes the user with its final states under the beta type name' -ForEach @(
        @{ Cmdlet = 'Invoke-MgBetaLicenseUser' }
        @{ Cmdlet = 'Invoke-MgBetaLicenseUser2' }
        @{ Cmdlet = 'Invoke-MgBetaReprocessUserCloudLicensingAssignment' }
    ) {
        $id = New-UserWhoseStatesChangeOnReprocessing
        try {
            $mark = Get-RequestMark
            $result = Invoke-WithProcessingDelay { & $Cmdlet -UserId $id -Wait -TimeoutSec 20 }
            $requests = @(Get-RequestSince $mark)

            $result.AllErrors.Count | Should -Be 0
            $result.Output | Should -HaveCount 1
            $result.Output[0].PSObject.TypeNames[0] | Should -BeExactly 'Microsoft.Graph.Beta.PowerShell.Models.MicrosoftGraphUser'
            $result.Output[0].Id | Should -BeOfType [string]
            $result.Output[0].Id | Should -BeExactly $id
            $states = Get-StateBySku $result.Output[0]
            $states[$E3] | Should -BeExactly 'Active|None'
            $states[$PowerBiPro] | Should -BeExactly 'Error|MutuallyExclusiveViolation'
            $result.Warnings | Should -HaveCount 1
            $result.Warnings[0] | Should -BeLikeExactly "*POWER_BI_PRO ($PowerBiPro) assigned directly*"
            $result.Warnings[0] | Should -BeLikeExactly '*MutuallyExclusiveViolation*'
            $result.Warnings[0] | Should -BeLikeExactly '*remove the conflicting license*'
            # The user is followed on beta, where the call was made.
            @($requests | Where-Object { $_.method -ceq 'GET' -and $_.path -ceq "/beta/users/$id" }).Count | Should -BeGreaterThan 0
        } finally {
            $null = Invoke-EmulatorAdmin DELETE "users/$id"
        }
    }
}
