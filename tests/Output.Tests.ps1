# What each cmdlet writes: users with the SDK's type names and tables, $true only with -PassThru for
# the call without content, the reads shown as the official tables, and an error for a 200 without body.

BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Emulator = Start-TestEmulator
    # Formatted as the host shows it, without colours, wide enough for the SKU table's seven columns.
    function Format-Shown { param([Parameter(ValueFromPipeline)] $InputObject) end { ($input | Out-String -Width 250) -replace "`e\[[0-9;]*m", '' -split "`r?`n" } }
}

AfterAll { Stop-TestEmulator $script:Emulator }

Describe 'Reprocess output' {
    BeforeAll { Connect-TestEmulator (New-TestToken User.ReadWrite.All) }

    It '<Cmdlet> writes the user with the SDK type name <TypeName>, shown as the SDK table' -ForEach @(
        @{ Cmdlet = 'Invoke-MgLicenseUser'; TypeName = 'Microsoft.Graph.PowerShell.Models.MicrosoftGraphUser' }
        @{ Cmdlet = 'Invoke-MgBetaLicenseUser'; TypeName = 'Microsoft.Graph.Beta.PowerShell.Models.MicrosoftGraphUser' }
        @{ Cmdlet = 'Invoke-MgBetaLicenseUser2'; TypeName = 'Microsoft.Graph.Beta.PowerShell.Models.MicrosoftGraphUser' }
    ) {
        $id = $TestUsers[0].id
        $users = @(& $Cmdlet -UserId $id)

        $users.Count | Should -Be 1
        $users[0].PSObject.TypeNames[0] | Should -Be $TypeName
        $users[0].Id | Should -Be $id
        $users[0].UserPrincipalName | Should -Be $TestUsers[0].userPrincipalName
        $shown = $users[0] | Format-Shown
        ($shown | Where-Object { $_.Trim() } | Select-Object -First 1) | Should -Match '^DisplayName\s+Id\s+Mail\s+User'
        ($shown -match [regex]::Escape($id)).Count | Should -BeGreaterThan 0
    }

    It 'Invoke-MgBetaReprocessUserCloudLicensingAssignment writes nothing without -PassThru and $true with it' {
        $plain = @(Invoke-MgBetaReprocessUserCloudLicensingAssignment -UserId $TestUsers[0].id)
        $passed = @($TestUsers[0].id, $TestUsers[1].id | Invoke-MgBetaReprocessUserCloudLicensingAssignment -PassThru)

        $plain.Count | Should -Be 0
        $passed | Should -HaveCount 2
        $passed | ForEach-Object { $_ | Should -BeOfType [bool]; $_ | Should -BeTrue }
    }
}

Describe 'Read output' {
    BeforeAll { Connect-TestEmulator (New-TestToken Directory.Read.All) }

    It '<Read> is shown as the official table' -ForEach @(
        @{ Read = { Get-MgGroup -All }; Heading = '^DisplayName\s+Id\s+MailNickname\s+Description\s+GroupTypes\s*$'; Row = 'c7d2e8f4-1a3b-4c5d-9e6f-7a8b9c0d1e2f' }
        @{ Read = { Get-MgSubscribedSku -All }; Heading = '^AppliesTo\s+CapabilityStatus\s+ConsumedUnits\s+Id\s+SkuId\s+SkuPartNumber\s+SubscriptionIds\s*$'; Row = 'POWER_BI_PRO' }
        @{ Read = { Get-MgGroupMemberWithLicenseError -GroupId c7d2e8f4-1a3b-4c5d-9e6f-7a8b9c0d1e2f -All }; Heading = '^Id\s+DeletedDateTime\s*$'; Row = '6e7b768e-07e2-4810-8459-485f84f8f204' }
    ) {
        $shown = & $Read | Format-Shown

        ($shown | Where-Object { $_.Trim() } | Select-Object -First 1) | Should -Match $Heading
        ($shown -match [regex]::Escape($Row)).Count | Should -BeGreaterThan 0
    }
}

Describe 'A 200 without body' {
    BeforeAll {
        # The emulator always answers these calls with the user, so a stub gives the empty answer.
        $script:Empty = New-StubGraph "HTTP/1.1 200 OK`r`nContent-Length: 0`r`nrequest-id: 5d0c7f3e-0000-4000-8000-000000000200`r`n`r`n"
        Connect-StubGraph $Empty (New-TestToken User.ReadWrite.All)
    }

    AfterAll {
        Disconnect-MgGraph -ErrorAction Ignore | Out-Null
        $Empty.Dispose()
    }

    It '<Call> writes no user but an error that says the answer was empty, after one request' -ForEach @(
        @{ Call = 'Invoke-MgLicenseUser' }, @{ Call = 'Invoke-MgBetaLicenseUser' }, @{ Call = 'Invoke-MgBetaLicenseUser2' }, @{ Call = 'Get-MgUser' }
    ) {
        $before = $Empty.Requests
        $output = @(& $Call -UserId $TestUsers[0].id -ErrorVariable errors -WarningVariable warnings 2>$null)

        # No user, not even an empty one: a 200 without the object the call returns is a broken answer.
        $output.Count | Should -Be 0
        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -BeExactly "TransportError,$(Get-CmdletClass $Call $(if ($Call -eq 'Get-MgUser') { 'Get' } else { 'License' }))"
        $errors[0].Exception.Message | Should -BeLikeExactly '*is empty, not the object this call returns*'
        $warnings | Should -BeNullOrEmpty
        $Empty.Requests - $before | Should -Be 1
    }
}
