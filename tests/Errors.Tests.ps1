# Graph's 400, 401, 403 and 404 answers as ErrorRecords, and the ways scripts handle them:
# -ErrorAction Stop, -ErrorVariable, try/catch.

BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Emulator = Start-TestEmulator
    $script:Missing = '00000000-0000-0000-0000-00000000dead'

    # What ErrorDetails carries for a Graph error, as the official SDK shows it.
    function Assert-GraphErrorDetails($ErrorRecord, [int] $Status, [string] $StatusName, [string] $Code) {
        $ErrorRecord.ErrorDetails | Should -Not -BeNullOrEmpty
        $details = $ErrorRecord.ErrorDetails.Message
        $details.Contains("`nStatus: $Status ($StatusName)`n") | Should -BeTrue -Because $details
        $details.Contains("`nErrorCode: $Code`n") | Should -BeTrue -Because $details
        $details | Should -MatchExactly '\nDate: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d'
        $details.Contains("`nHeaders:`n") | Should -BeTrue -Because $details
        $details | Should -MatchExactly '\nrequest-id {20}: [0-9a-f-]{36}'
    }

    # Invoke-MgLicenseUser -UserId $Target refused with Graph's 403, as one error record, and the script
    # ("...; 'went on'") went on.
    function Assert-ForbiddenAndWentOn($Result, [string] $Target) {
        $Result.Output | Should -HaveCount 1
        $Result.Output[0] | Should -BeExactly 'went on'
        $Result.Errors | Should -HaveCount 1
        $Result.Errors[0].FullyQualifiedErrorId | Should -BeExactly 'Authorization_RequestDenied,Microsoft.Graph.PowerShell.Cmdlets.InvokeMgLicenseUser_License'
        $Result.Errors[0].Exception.Message | Should -BeExactly '[Authorization_RequestDenied] : Insufficient privileges to complete the operation.'
        $Result.Errors[0].CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::InvalidOperation)
        $Result.Errors[0].TargetObject.UserId | Should -BeExactly $Target
        Assert-GraphErrorDetails $Result.Errors[0] 403 Forbidden Authorization_RequestDenied
    }
}

AfterAll { Stop-TestEmulator $script:Emulator }

Describe 'Graph errors as ErrorRecords' {
    It '<Cmdlet> writes a 404 as the official variant <Set>''s Graph error record, whose target holds the operation''s parameters' -ForEach @(
        @{ Cmdlet = 'Invoke-MgLicenseUser'; Set = 'LicenseViaIdentity' }
        @{ Cmdlet = 'Invoke-MgBetaLicenseUser'; Set = 'LicenseViaIdentity' }
        @{ Cmdlet = 'Invoke-MgBetaReprocessUserCloudLicensingAssignment'; Set = 'ReprocessViaIdentity' }
        @{ Cmdlet = 'Invoke-MgBetaLicenseUser2'; Set = 'LicenseViaIdentity' }
    ) {
        Connect-TestEmulator (New-TestToken User.ReadWrite.All)
        $identity = @{ UserId = $Missing }

        $written = @($identity | & $Cmdlet -ErrorVariable failed 2>$null)

        $written.Count | Should -Be 0
        $failed | Should -HaveCount 1
        $failed[0].FullyQualifiedErrorId | Should -BeExactly "Request_ResourceNotFound,$(Get-CmdletClass $Cmdlet $Set)"
        $failed[0].CategoryInfo.Activity | Should -BeExactly "$Cmdlet`_$Set"
        $failed[0].InvocationInfo.MyCommand.Name | Should -BeExactly "$Cmdlet`_$Set"
        $failed[0].CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::InvalidOperation)
        $failed[0].Exception.Message | Should -BeExactly "[Request_ResourceNotFound] : Resource '$Missing' does not exist or one of its queried reference-property objects are not present."
        # As the official generated cmdlets (AutoRest class.ts: new { UserId = …, Headers = … }): the operation's parameters.
        $failed[0].TargetObject.UserId | Should -BeExactly $Missing
        $failed[0].TargetObject.PSObject.Properties.Name | Should -Be @('UserId', 'Headers')
        $failed[0].TargetObject.Headers | Should -BeNullOrEmpty
        Assert-GraphErrorDetails $failed[0] 404 NotFound Request_ResourceNotFound
    }

    It 'answers -Me with an application token as a bad request' {
        Connect-TestEmulator (New-TestToken User.ReadWrite.All)
        $mark = Get-RequestMark
        $result = Invoke-Captured { Invoke-MgBetaLicenseUser2 -Me }
        $sent = @(Get-RequestSince $mark)

        $sent | Should -HaveCount 1
        $sent[0].path | Should -BeExactly '/beta/me/reprocessLicenseAssignment2'
        $result.Output.Count | Should -Be 0
        $result.AllErrors | Should -HaveCount 1
        $error1 = $result.AllErrors[0]
        $error1.FullyQualifiedErrorId | Should -BeExactly 'BadRequest,Microsoft.Graph.Beta.PowerShell.Cmdlets.InvokeMgBetaLicenseUser2_Me'
        $error1.Exception.Message | Should -BeExactly '[BadRequest] : /me request is only valid with delegated authentication flow.'
        $error1.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::InvalidOperation)
        $error1.TargetObject.PSObject.Properties.Name | Should -Be @('Headers') -Because 'a call on /me has no path parameter'
        Assert-GraphErrorDetails $error1 400 BadRequest BadRequest
    }

    It 'reprocesses the signed-in user for -Me with a delegated token' {
        $me = $TestUsers[2].id
        Connect-TestEmulator (New-DelegatedTestToken $me User.ReadWrite.All)
        $mark = Get-RequestMark
        $users = @(Invoke-MgBetaLicenseUser2 -Me -ErrorVariable failed)
        $sent = @(Get-RequestSince $mark)

        $failed | Should -BeNullOrEmpty
        $sent | Should -HaveCount 1
        $sent[0].path | Should -BeExactly '/beta/me/reprocessLicenseAssignment2'
        Get-SentHeader $sent[0] 'content-type' | Should -BeLikeExactly 'application/json*'
        # The {"value": …} envelope is gone: the user itself is written.
        $users | Should -HaveCount 1
        $users[0].Id | Should -BeOfType [string]
        $users[0].Id | Should -BeExactly $me
        $null -eq $users[0].PSObject.Properties['Value'] | Should -BeTrue
        $users[0].PSObject.TypeNames[0] | Should -BeExactly 'Microsoft.Graph.Beta.PowerShell.Models.MicrosoftGraphUser'
    }

    It 'answers a token without the write permission as forbidden, and the script goes on' {
        Connect-TestEmulator (New-TestToken User.Read.All)
        $id = $TestUsers[0].id

        $result = Invoke-Captured { Invoke-MgLicenseUser -UserId $id; 'went on' }

        Assert-ForbiddenAndWentOn $result $id
    }

    It 'answers a delegated sign-in without an admin role as forbidden, and changes nothing' {
        # Lee holds no directory role in tests/data/tenant.json: the scope alone does not let a user reprocess.
        $lee = Get-TestUserId 'LeeG@contoso.com'
        $target = $TestUsers[0].id
        Connect-TestEmulator (New-DelegatedTestToken $lee User.ReadWrite.All)
        function Get-ReprocessCount { [long] (Invoke-EmulatorAdmin GET "users/$target").reprocessCount }
        $countBefore = Get-ReprocessCount

        $mark = Get-RequestMark
        $result = Invoke-Captured { Invoke-MgLicenseUser -UserId $target; 'went on' }
        $sent = @(Get-RequestSince $mark)

        $sent | Should -HaveCount 1
        $sent[0].status | Should -Be 403
        Assert-ForbiddenAndWentOn $result $target
        Get-ReprocessCount | Should -Be $countBefore
    }

    It 'answers a token Graph refuses as unauthorized' {
        Connect-TestEmulator ((New-TestToken User.ReadWrite.All) + 'x')
        $id = $TestUsers[0].id

        $result = Invoke-Captured { Invoke-MgBetaLicenseUser -UserId $id }

        $result.Output.Count | Should -Be 0
        $result.AllErrors | Should -HaveCount 1
        $error1 = $result.AllErrors[0]
        $error1.FullyQualifiedErrorId | Should -BeExactly 'InvalidAuthenticationToken,Microsoft.Graph.Beta.PowerShell.Cmdlets.InvokeMgBetaLicenseUser_License'
        $error1.Exception.Message | Should -BeLikeExactly '`[InvalidAuthenticationToken`] : *'
        $error1.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::InvalidOperation)
        $error1.TargetObject.UserId | Should -BeExactly $id
        Assert-GraphErrorDetails $error1 401 Unauthorized InvalidAuthenticationToken
    }
}

Describe 'Graph errors name the official cmdlet variant' {
    BeforeAll { Connect-TestEmulator (New-TestToken User.ReadWrite.All, Directory.Read.All) }

    It '<Command> shows its error as "<Variant>: …" with the variant''s FullyQualifiedErrorId' -ForEach @(
        @{ Command = { Get-MgUser -UserId nobody@contoso.com }; Variant = 'Get-MgUser_Get'; Target = 'UserId'; Value = 'nobody@contoso.com' }
        @{ Command = { @{ UserId = 'nobody@contoso.com' } | Get-MgUser }; Variant = 'Get-MgUser_GetViaIdentity'; Target = 'UserId'; Value = 'nobody@contoso.com' }
        @{ Command = { Get-MgGroup -GroupId 'no-such-group' }; Variant = 'Get-MgGroup_Get'; Target = 'GroupId'; Value = 'no-such-group' }
        @{ Command = { Get-MgGroupMemberWithLicenseError -GroupId 'no-such-group' }; Variant = 'Get-MgGroupMemberWithLicenseError_List'; Target = 'GroupId'; Value = 'no-such-group' }
        @{ Command = { Get-MgUser -Filter 'nonsense' }; Variant = 'Get-MgUser_List'; Target = 'Filter'; Value = 'nonsense' }
        @{ Command = { Invoke-MgLicenseUser -UserId nobody@contoso.com }; Variant = 'Invoke-MgLicenseUser_License'; Target = 'UserId'; Value = 'nobody@contoso.com' }
        @{ Command = { Get-MgUserLicenseDetail -UserId nobody@contoso.com }; Variant = 'Get-MgUserLicenseDetail_List'; Target = 'UserId'; Value = 'nobody@contoso.com' }
        @{ Command = { Get-MgUserLicenseDetail -UserId nobody@contoso.com -LicenseDetailsId 'none' }; Variant = 'Get-MgUserLicenseDetail_Get'; Target = 'LicenseDetailsId'; Value = 'none' }
        @{ Command = { @{ UserId = 'nobody@contoso.com'; LicenseDetailsId = 'none' } | Get-MgUserLicenseDetail }; Variant = 'Get-MgUserLicenseDetail_GetViaIdentity'; Target = 'UserId'; Value = 'nobody@contoso.com' }
        @{ Command = { Get-MgGroupMember -GroupId 'no-such-group' }; Variant = 'Get-MgGroupMember_List'; Target = 'GroupId'; Value = 'no-such-group' }
    ) {
        $failed = @(& $Command 2>&1 | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })

        $failed | Should -HaveCount 1
        $class = $Variant.Replace('-', '')
        $failed[0].FullyQualifiedErrorId | Should -BeLikeExactly "*,Microsoft.Graph.PowerShell.Cmdlets.$class"
        $failed[0].InvocationInfo.MyCommand.Name | Should -BeExactly $Variant
        $failed[0].CategoryInfo.Activity | Should -BeExactly $Variant
        # As the official generated cmdlets (AutoRest class.ts): the target is an object of the operation's parameters.
        $failed[0].TargetObject.$Target | Should -BeExactly $Value
        # The line PowerShell shows starts with the variant's name, as the official cmdlet's does.
        $shown = ($failed[0] | Out-String -Width 200)
        $shown | Should -BeLikeExactly "*$Variant*"
        $failed[0].InvocationInfo.PositionMessage | Should -BeLikeExactly "*Errors.Tests.ps1*"
    }

    It '<Variant> names its variant in a write''s error, and its target holds the operation''s parameters' -ForEach @(
        @{ Command = { Update-MgUser -UserId nobody@contoso.com -UsageLocation SE }; Variant = 'Update-MgUser_UpdateExpanded'; Names = 'UserId,Headers,body'; Id = 'UserId'; Body = 'UsageLocation' }
        @{ Command = { Update-MgUser -UserId nobody@contoso.com -BodyParameter @{ usageLocation = 'SE' } }; Variant = 'Update-MgUser_Update'; Names = 'UserId,Headers,body'; Id = 'UserId'; Body = 'usageLocation' }
        @{ Command = { @{ UserId = 'nobody@contoso.com' } | Update-MgUser -UsageLocation SE }; Variant = 'Update-MgUser_UpdateViaIdentityExpanded'; Names = 'UserId,Headers,body'; Id = 'UserId'; Body = 'UsageLocation' }
        @{ Command = { Update-MgUser -InputObject @{ UserId = 'nobody@contoso.com' } -BodyParameter @{ usageLocation = 'SE' } }; Variant = 'Update-MgUser_UpdateViaIdentity'; Names = 'UserId,Headers,body'; Id = 'UserId'; Body = 'usageLocation' }
        @{ Command = { Set-MgUserLicense -UserId nobody@contoso.com -AddLicenses @() -RemoveLicenses @() }; Variant = 'Set-MgUserLicense_AssignExpanded'; Names = 'UserId,Headers,body'; Id = 'UserId'; Body = 'RemoveLicenses' }
        @{ Command = { Set-MgUserLicense -UserId nobody@contoso.com -BodyParameter @{ addLicenses = @(); removeLicenses = @() } }; Variant = 'Set-MgUserLicense_Assign'; Names = 'UserId,Headers,body'; Id = 'UserId'; Body = 'removeLicenses' }
        @{ Command = { @{ UserId = 'nobody@contoso.com' } | Set-MgUserLicense -AddLicenses @() -RemoveLicenses @() }; Variant = 'Set-MgUserLicense_AssignViaIdentityExpanded'; Names = 'UserId,Headers,body'; Id = 'UserId'; Body = 'AddLicenses' }
        @{ Command = { Set-MgUserLicense -InputObject @{ UserId = 'nobody@contoso.com' } -BodyParameter @{ addLicenses = @(); removeLicenses = @() } }; Variant = 'Set-MgUserLicense_AssignViaIdentity'; Names = 'UserId,Headers,body'; Id = 'UserId'; Body = 'addLicenses' }
        @{ Command = { New-MgGroupMember -GroupId 'no-such-group' -DirectoryObjectId $Missing }; Variant = 'New-MgGroupMember_CreateExpanded'; Names = 'GroupId,DirectoryObjectId,Headers,body'; Id = 'GroupId' }
        @{ Command = { @{ GroupId = 'no-such-group' } | New-MgGroupMember -BodyParameter @{ '@odata.id' = "https://graph.microsoft.com/v1.0/directoryObjects/$Missing" } }; Variant = 'New-MgGroupMember_CreateViaIdentity'; Names = 'GroupId,DirectoryObjectId,Headers,body'; Id = 'GroupId'; Body = '@odata.id' }
        @{ Command = { Remove-MgGroupMemberByRef -GroupId 'no-such-group' -DirectoryObjectId $Missing }; Variant = 'Remove-MgGroupMemberByRef_Delete'; Names = 'GroupId,DirectoryObjectId,IfMatch,Headers'; Id = 'GroupId' }
        @{ Command = { @{ GroupId = 'no-such-group'; DirectoryObjectId = $Missing } | Remove-MgGroupMemberByRef }; Variant = 'Remove-MgGroupMemberByRef_DeleteViaIdentity'; Names = 'GroupId,DirectoryObjectId,IfMatch,Headers'; Id = 'GroupId' }
    ) {
        $failed = @(& $Command 2>&1 | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })

        $failed | Should -HaveCount 1
        $failed[0].FullyQualifiedErrorId | Should -BeLikeExactly "*,Microsoft.Graph.PowerShell.Cmdlets.$($Variant.Replace('-', ''))"
        $failed[0].InvocationInfo.MyCommand.Name | Should -BeExactly $Variant
        ($failed[0] | Out-String -Width 200) | Should -BeLikeExactly "*$Variant*"
        # As the official generated cmdlets (AutoRest class.ts: the operation's path and header parameters, Headers, then body).
        $failed[0].TargetObject.PSObject.Properties.Name -join ',' | Should -BeExactly $Names
        $failed[0].TargetObject.$Id | Should -BeExactly $(if ($Id -eq 'UserId') { 'nobody@contoso.com' } else { 'no-such-group' })
        if ($Body) {
            $sent = $failed[0].TargetObject.body
            @(if ($sent -is [System.Collections.IDictionary]) { $sent.Keys } else { $sent.PSObject.Properties.Name }) | Should -Contain $Body
        }
    }
}

Describe 'Handling Graph errors in scripts' {
    BeforeAll { Connect-TestEmulator (New-TestToken User.ReadWrite.All) }

    It 'makes the Graph error catchable with -ErrorAction Stop' {
        $result = Invoke-Captured {
            try { Invoke-MgLicenseUser -UserId $Missing -ErrorAction Stop; 'not reached' }
            catch { 'caught'; $_.FullyQualifiedErrorId; $_.Exception.Message; $_.CategoryInfo.Category.ToString() }
            'after'
        }

        $result.AllErrors.Count | Should -Be 0
        $expected = @(
            'caught'
            'Request_ResourceNotFound,Microsoft.Graph.PowerShell.Cmdlets.InvokeMgLicenseUser_License'
            "[Request_ResourceNotFound] : Resource '$Missing' does not exist or one of its queried reference-property objects are not present."
            'InvalidOperation'
            'after'
        )
        $result.Output | Should -HaveCount $expected.Count
        ($result.Output -join '|') | Should -BeExactly ($expected -join '|')
    }

    It 'is not caught by try without -ErrorAction Stop, and the pipeline goes on' {
        $a = $Missing
        $b = $TestUsers[0].id

        $result = Invoke-Captured { try { $a, $b | Invoke-MgLicenseUser | ForEach-Object { $_.Id } } catch { 'caught' } }

        $result.Output | Should -HaveCount 1
        $result.Output[0] | Should -BeExactly $b
        $result.Errors | Should -HaveCount 1
    }

    It 'collects one record per failed input in -ErrorVariable' {
        $a = $Missing
        $b = $TestUsers[0].id
        $c = "${Missing}2"

        $result = Invoke-Captured {
            $a, $b, $c | Invoke-MgBetaReprocessUserCloudLicensingAssignment -PassThru -ErrorVariable failed -ErrorAction SilentlyContinue
            $failed.Count
            $failed | ForEach-Object { $_.TargetObject.UserId }
        }

        $result.AllErrors.Count | Should -Be 0
        $result.Output | Should -HaveCount 4
        $result.Output[0] | Should -BeOfType [bool]
        $result.Output[0] | Should -BeTrue
        $result.Output[1] | Should -BeOfType [int]
        $result.Output[1] | Should -Be 2
        $result.Output[2] | Should -BeExactly $Missing
        $result.Output[3] | Should -BeExactly "${Missing}2"
    }
}
