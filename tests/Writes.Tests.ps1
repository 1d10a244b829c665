# Update-MgUser, Set-MgUserLicense, Get-MgUserLicenseDetail, Get-MgGroupMember, New-MgGroupMember and
# Remove-MgGroupMemberByRef against the emulator: what goes on the wire, what comes out, -WhatIf changing
# nothing, ids that would leave their path segment, Graph's refusals, and a license error repaired end to end.

BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Emulator = Start-TestEmulator
    $script:Token = New-TestToken User.ReadWrite.All, GroupMember.ReadWrite.All, Directory.Read.All
    Connect-TestEmulator $Token
    $script:E3 = '05e9a617-0261-4cee-bb44-138d3ef5d965'
    $script:PowerBi = 'f8a1db68-be16-40ed-86d5-cb42ce701560'
    $script:SharePoint = '5dbe027f-2339-4123-9542-606e4d348a72'
    $script:PowerBiGroup = 'c7d2e8f4-1a3b-4c5d-9e6f-7a8b9c0d1e2f'
    $script:AlexId = Get-TestUserId 'AlexW@contoso.com'
    $script:LeeId = Get-TestUserId 'LeeG@contoso.com'

    # The user as the emulator holds it (its admin view), and its license states as 'state/error'.
    function Get-HeldUser([string] $Id) { (Invoke-EmulatorAdmin GET "users/$([uri]::EscapeDataString($Id))").user }
    function Get-HeldState([string] $Id) { @((Get-HeldUser $Id).licenseAssignmentStates | ForEach-Object { "$($_.state)/$($_.error)" }) }
    function Get-Written([int] $Mark) { @(Get-RequestSince $Mark | Where-Object { $_.method -ne 'GET' }) }
}

AfterAll { Stop-TestEmulator $script:Emulator }

Describe 'Update-MgUser' {
    It 'sends PATCH /users/{id} with the properties given, writes nothing, and the reprocess after it clears the error' {
        (Get-HeldState $AlexId) | Should -Be @('Error/ProhibitedInUsageLocationViolation')
        $mark = Get-RequestMark
        $out = @(Update-MgUser -UserId AlexW@contoso.com -UsageLocation US -Department Sales -ErrorVariable failed)

        $failed | Should -BeNullOrEmpty
        $out | Should -HaveCount 0
        $sent = @(Get-Written $mark)
        $sent | Should -HaveCount 1
        $sent[0].method | Should -BeExactly 'PATCH'
        $sent[0].path | Should -BeExactly '/v1.0/users/AlexW@contoso.com'
        (Get-SentHeader $sent[0] 'Content-Type') | Should -BeLikeExactly 'application/json*'
        $held = Get-HeldUser $AlexId
        $held.usageLocation | Should -BeExactly 'US'
        $held.department | Should -BeExactly 'Sales'
        # As in Entra, nothing changes for the licenses until the user is processed again.
        (Get-HeldState $AlexId) | Should -Be @('Error/ProhibitedInUsageLocationViolation')

        $user = Invoke-MgLicenseUser -UserId $AlexId
        $user.LicenseAssignmentStates.State | Should -Be @('Active')
    }

    It 'takes -BodyParameter, -AdditionalProperties and a piped user' {
        $zoe = Get-MgUser -UserId zoe.angstrom@contoso.com
        $zoe | Update-MgUser -AdditionalProperties @{ jobTitle = 'Analyst' } -City Lund
        Update-MgUser -UserId $zoe.Id -BodyParameter @{ officeLocation = '4/1'; mobilePhone = $null }
        $held = Get-HeldUser $zoe.Id
        $held.jobTitle | Should -BeExactly 'Analyst'
        $held.city | Should -BeExactly 'Lund'
        $held.officeLocation | Should -BeExactly '4/1'
    }

    It '-Debug shows the request with its JSON body and without the token; -Verbose names the call' {
        $debug = @(Update-MgUser -UserId zoe.angstrom@contoso.com -JobTitle Auditor -Debug -Verbose -ErrorVariable failed 5>&1 4>&1 | ForEach-Object { "$_" })
        $text = $debug -join "`n"
        $failed | Should -BeNullOrEmpty
        $text | Should -MatchExactly 'HTTP Method:\s+PATCH'
        $text | Should -MatchExactly ([regex]::Escape('"jobTitle": "Auditor"'))
        $text | Should -MatchExactly ([regex]::Escape('PATCH ') + '.*/v1.0/users/zoe.angstrom@contoso.com \(the properties of user')
        $text.Contains($Token) | Should -BeFalse
    }

    It '-WhatIf names the call the official way and changes nothing' {
        $mark = Get-RequestMark
        $null = Update-MgUser -UserId zoe.angstrom@contoso.com -UsageLocation FR -WhatIf
        # The What if line goes to the console, not to a stream: a pwsh of its own shows it.
        $lines = @(Invoke-ChildPwsh 'Update-MgUser -UserId zoe.angstrom@contoso.com -UsageLocation FR -WhatIf' -Token $Token)

        @(Get-Written $mark) | Should -HaveCount 0
        $lines -join "`n" | Should -BeExactly "What if: Performing the operation `"Update-MgUser_UpdateExpanded`" on target `"Call remote 'PATCH /users/{user-id}' operation`"."
        (Get-HeldUser (Get-TestUserId zoe.angstrom@contoso.com)).usageLocation | Should -BeExactly 'SE'
    }

    It 'reports Graph''s refusal for the input and goes on' {
        $out = @('nobody@contoso.com', 'zoe.angstrom@contoso.com' | ForEach-Object { Update-MgUser -UserId $_ -UsageLocation USA -ErrorVariable +failed -ErrorAction SilentlyContinue })
        $out | Should -HaveCount 0
        $failed | Should -HaveCount 2
        $failed[0].FullyQualifiedErrorId | Should -BeExactly 'Request_ResourceNotFound,Microsoft.Graph.PowerShell.Cmdlets.UpdateMgUser_UpdateExpanded'
        $failed[1].FullyQualifiedErrorId | Should -BeExactly 'Request_BadRequest,Microsoft.Graph.PowerShell.Cmdlets.UpdateMgUser_UpdateExpanded'
        $failed[1].Exception.Message | Should -BeLikeExactly "*Invalid value specified for property 'usageLocation' of resource 'User'.*"
        # As the official cmdlets (AutoRest class.ts): the operation's parameters, the user among them.
        $failed[1].TargetObject.UserId | Should -BeExactly 'zoe.angstrom@contoso.com'
        $failed[1].TargetObject.body.UsageLocation | Should -BeExactly 'USA'
    }

    It 'keeps an id that would escape its segment inside it, and refuses what cannot be sent' {
        $mark = Get-RequestMark
        Update-MgUser -UserId '../groups/x?y#z' -UsageLocation US -ErrorVariable failed -ErrorAction SilentlyContinue
        (Get-Written $mark)[0].path | Should -BeExactly '/v1.0/users/..%2Fgroups%2Fx%3Fy%23z'
        $failed[0].FullyQualifiedErrorId | Should -BeLikeExactly 'Request_ResourceNotFound,*'

        $mark = Get-RequestMark
        Update-MgUser -UserId "a`nb" -UsageLocation US -ErrorVariable bad -ErrorAction SilentlyContinue
        Update-MgUser -UserId zoe.angstrom@contoso.com -BodyParameter @{ usageLocation = { 'US' } } -ErrorVariable +bad -ErrorAction SilentlyContinue
        Update-MgUser -UserId zoe.angstrom@contoso.com -ErrorVariable +bad -ErrorAction SilentlyContinue
        @(Get-Written $mark) | Should -HaveCount 0
        $bad | Should -HaveCount 3
        $bad[0].Exception.Message | Should -BeLikeExactly '*U+000A*'
        $bad[1].Exception.Message | Should -BeLikeExactly '*-BodyParameter.usageLocation is a System.Management.Automation.ScriptBlock*'
        $bad[2].Exception.Message | Should -BeLikeExactly 'No property to change*'
        foreach ($e in $bad) { $e.CategoryInfo.Category | Should -Be InvalidArgument }
    }
}

Describe 'The write cmdlets'' -ResponseHeadersVariable' {
    It '<Command> sets it in the global scope, as the official cmdlets do, so a helper function''s caller reads it' -ForEach @(
        @{ Command = 'Update-MgUser'; Write = { Update-MgUser -UserId AlexW@contoso.com -Department Sales -RHV writeHeaders } }
    ) {
        # AutoRest's class.ts sets the variable as "global:<name>" (the generated cmdlets are exported as functions, which
        # cannot set their caller's variables).
        Remove-Variable -Scope Global -Name writeHeaders -ErrorAction Ignore
        function Invoke-Helper { $null = & $Write }

        Invoke-Helper
        $headers = Get-Variable -Scope Global -Name writeHeaders -ValueOnly -ErrorAction Ignore
        Remove-Variable -Scope Global -Name writeHeaders -ErrorAction Ignore

        $headers | Should -Not -BeNullOrEmpty
        Test-DictionaryKey $headers 'request-id' | Should -BeTrue
    }
}

Describe 'Set-MgUserLicense and Get-MgUserLicenseDetail' {
    It 'sends assignLicense with both lists and writes the user; the license details show its plans' {
        $mark = Get-RequestMark
        $user = Set-MgUserLicense -UserId zoe.angstrom@contoso.com -AddLicenses @{ SkuId = [guid] $E3; DisabledPlans = @() }

        $sent = @(Get-Written $mark)
        $sent[0].method | Should -BeExactly 'POST'
        $sent[0].path | Should -BeExactly '/v1.0/users/zoe.angstrom@contoso.com/assignLicense'
        $user.PSObject.TypeNames[0] | Should -BeExactly 'Microsoft.Graph.PowerShell.Models.MicrosoftGraphUser'
        $user.AssignedLicenses.SkuId | Should -Be @($E3)
        $user.LicenseAssignmentStates.State | Should -Be @('Active')

        $details = @(Get-MgUserLicenseDetail -UserId zoe.angstrom@contoso.com)
        $details | Should -HaveCount 1
        $details[0].SkuPartNumber | Should -BeExactly 'SPE_E3'
        $details[0].PSObject.TypeNames[0] | Should -BeExactly 'Microsoft.Graph.PowerShell.Models.MicrosoftGraphLicenseDetails'
        @($details[0].ServicePlans | Where-Object ProvisioningStatus -eq Success) | Should -HaveCount 4
        $one = Get-MgUserLicenseDetail -UserId zoe.angstrom@contoso.com -LicenseDetailsId $details[0].Id
        $one.SkuId | Should -BeExactly $E3
        Get-MgUserLicenseDetail -UserId zoe.angstrom@contoso.com -LicenseDetailsId 'no/such' -ErrorVariable missing -ErrorAction SilentlyContinue
        $missing[0].FullyQualifiedErrorId | Should -BeExactly 'Request_ResourceNotFound,Microsoft.Graph.PowerShell.Cmdlets.GetMgUserLicenseDetail_Get'
        $piped = @{ UserId = 'zoe.angstrom@contoso.com'; LicenseDetailsId = $details[0].Id } | Get-MgUserLicenseDetail
        $piped.SkuId | Should -BeExactly $E3
        'zoe.angstrom@contoso.com' | Get-MgUserLicenseDetail -ErrorVariable bad -ErrorAction SilentlyContinue
        Get-MgUserLicenseDetail -InputObject @{ UserId = 'zoe.angstrom@contoso.com' } -ErrorVariable +bad -ErrorAction SilentlyContinue
        $bad | Should -HaveCount 2
        $bad[0].Exception.Message | Should -BeLikeExactly '*must name both the user*and LicenseDetailsId*'
        $bad[1].Exception.Message | Should -BeLikeExactly '*has no LicenseDetailsId string*'
        @{ UserId = 'nobody@contoso.com'; LicenseDetailsId = $details[0].Id } | Get-MgUserLicenseDetail -ErrorVariable gone -ErrorAction SilentlyContinue
        $gone[0].FullyQualifiedErrorId | Should -BeExactly 'Request_ResourceNotFound,Microsoft.Graph.PowerShell.Cmdlets.GetMgUserLicenseDetail_GetViaIdentity'

        # A user's AssignedLicenses go back in as they came; -RemoveLicenses takes the license away.
        $null = Set-MgUserLicense -UserId zoe.angstrom@contoso.com -AddLicenses $user.AssignedLicenses
        (Set-MgUserLicense -UserId zoe.angstrom@contoso.com -RemoveLicenses $E3).AssignedLicenses | Should -HaveCount 0
    }

    It 'sends -AdditionalProperties in the body beside the two lists, which it cannot name' {
        $debug = @(Set-MgUserLicense -UserId zoe.angstrom@contoso.com -AddLicenses @{ SkuId = $E3 } -AdditionalProperties @{ note = @{ ticket = 42 } } -Debug 5>&1 | ForEach-Object { "$_" })
        $text = $debug -join "`n"
        $text | Should -MatchExactly '"note": \{\s*"ticket": 42\s*\}'
        $text | Should -MatchExactly '"removeLicenses": \[\s*\]'

        $mark = Get-RequestMark
        Set-MgUserLicense -UserId zoe.angstrom@contoso.com -RemoveLicenses $E3 -AdditionalProperties @{ RemoveLicenses = @() } -ErrorVariable bad -ErrorAction SilentlyContinue
        @(Get-Written $mark) | Should -HaveCount 0
        $bad[0].Exception.Message | Should -BeLikeExactly "*-AdditionalProperties names 'RemoveLicenses'*"
        $null = Set-MgUserLicense -UserId zoe.angstrom@contoso.com -RemoveLicenses $E3
    }

    It 'reports Graph''s refusals: an unknown SKU, no usage location, a plan another needs' {
        $unknown = '11111111-2222-4333-8444-555555555555'
        Set-MgUserLicense -UserId zoe.angstrom@contoso.com -AddLicenses @{ SkuId = $unknown } -ErrorVariable failed -ErrorAction SilentlyContinue
        Set-MgUserLicense -UserId MeganB@contoso.com -BodyParameter @{ addLicenses = @(@{ skuId = $E3; disabledPlans = @($SharePoint) }); removeLicenses = @() } -ErrorVariable +failed -ErrorAction SilentlyContinue
        $failed | Should -HaveCount 2
        $failed[0].Exception.Message | Should -BeLikeExactly "*License $unknown does not correspond to a valid company License.*"
        $failed[0].FullyQualifiedErrorId | Should -BeExactly 'Request_BadRequest,Microsoft.Graph.PowerShell.Cmdlets.SetMgUserLicense_AssignExpanded'
        $failed[1].Exception.Message | Should -BeLikeExactly '*depends on*'
        (Get-HeldUser (Get-TestUserId MeganB@contoso.com)).assignedLicenses.skuId | Should -Not -Contain $E3
    }

    It 'refuses a SKU id that is not a GUID before anything is sent, and -WhatIf sends nothing' {
        $mark = Get-RequestMark
        Set-MgUserLicense -UserId zoe.angstrom@contoso.com -AddLicenses @{ SkuId = 'SPE_E3' } -ErrorVariable bad -ErrorAction SilentlyContinue
        Set-MgUserLicense -UserId zoe.angstrom@contoso.com -AddLicenses @{ DisabledPlans = @() } -ErrorVariable +bad -ErrorAction SilentlyContinue
        $null = Set-MgUserLicense -UserId zoe.angstrom@contoso.com -AddLicenses @{ SkuId = $E3 } -WhatIf
        $what = @(Invoke-ChildPwsh 'Set-MgUserLicense -UserId zoe.angstrom@contoso.com -AddLicenses @{ SkuId = $sku } -WhatIf' -Token $Token -Variable @{ sku = $E3 })

        @(Get-Written $mark) | Should -HaveCount 0
        $bad | Should -HaveCount 2
        $bad[0].Exception.Message.Contains("AddLicenses[0].SkuId 'SPE_E3' is not a GUID") | Should -BeTrue -Because $bad[0].Exception.Message
        $bad[1].Exception.Message.Contains('-AddLicenses[0].SkuId is missing') | Should -BeTrue -Because $bad[1].Exception.Message
        "$what" | Should -BeLikeExactly "*Set-MgUserLicense_AssignExpanded*Call remote 'POST /users/{user-id}/assignLicense' operation*"
    }
}

Describe 'Get-MgGroupMember, Remove-MgGroupMemberByRef and New-MgGroupMember' {
    It 'lists members across pages with a count' {
        $mark = Get-RequestMark
        $members = @(Get-MgGroupMember -GroupId $PowerBiGroup -All -PageSize 2 -ConsistencyLevel eventual -CountVariable count -Property id, userPrincipalName)

        $members | Should -HaveCount 3
        $count | Should -Be 3
        $members[0].PSObject.TypeNames[0] | Should -BeExactly 'Microsoft.Graph.PowerShell.Models.MicrosoftGraphDirectoryObject'
        $members[0].AdditionalProperties['@odata.type'] | Should -BeExactly '#microsoft.graph.user'
        $members.UserPrincipalName | Should -Contain 'LeeG@contoso.com'
        @(Get-RequestSince $mark) | Should -HaveCount 2
        @(Get-MgGroupMember -GroupId $PowerBiGroup -Top 1) | Should -HaveCount 1
    }

    It 'removes a member, whose conflicting license and its error go; -PassThru writes $true' {
        (Get-HeldState $LeeId) | Should -Contain 'Error/MutuallyExclusiveViolation'
        $mark = Get-RequestMark
        $out = Remove-MgGroupMemberByRef -GroupId $PowerBiGroup -DirectoryObjectId $LeeId -PassThru

        $out | Should -BeExactly $true
        $sent = @(Get-Written $mark)
        $sent[0].method | Should -BeExactly 'DELETE'
        $sent[0].path | Should -BeExactly "/v1.0/groups/$PowerBiGroup/members/$LeeId/`$ref"
        (Get-HeldState $LeeId) | Should -Be @('Active/None')
        (Get-MgGroupMember -GroupId $PowerBiGroup -All).Id | Should -Not -Contain $LeeId

        Remove-MgGroupMemberByRef -GroupId $PowerBiGroup -DirectoryObjectId $LeeId -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeExactly 'Request_ResourceNotFound,Microsoft.Graph.PowerShell.Cmdlets.RemoveMgGroupMemberByRef_Delete'
    }

    It 'adds a member by reference; a second time is Graph''s 400' {
        $mark = Get-RequestMark
        $out = @(New-MgGroupMember -GroupId $PowerBiGroup -DirectoryObjectId $LeeId)

        $out | Should -HaveCount 0
        $sent = @(Get-Written $mark)
        $sent[0].path | Should -BeExactly "/v1.0/groups/$PowerBiGroup/members/`$ref"
        (Get-MgGroupMember -GroupId $PowerBiGroup -All).Id | Should -Contain $LeeId
        New-MgGroupMember -GroupId $PowerBiGroup -DirectoryObjectId $LeeId -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].Exception.Message | Should -BeLikeExactly "*One or more added object references already exist*"
    }

    It '-WhatIf changes nothing, and ids that would escape their segment stay in it' {
        $mark = Get-RequestMark
        Remove-MgGroupMemberByRef -GroupId $PowerBiGroup -DirectoryObjectId $LeeId -WhatIf
        New-MgGroupMember -GroupId $PowerBiGroup -DirectoryObjectId $AlexId -WhatIf
        $what = @(Invoke-ChildPwsh 'Remove-MgGroupMemberByRef -GroupId $g -DirectoryObjectId $m -WhatIf; New-MgGroupMember -GroupId $g -DirectoryObjectId $a -WhatIf' -Token $Token -Variable @{ g = $PowerBiGroup; m = $LeeId; a = $AlexId })
        @(Get-Written $mark) | Should -HaveCount 0
        $what | Should -HaveCount 2
        "$($what[0])" | Should -BeExactly "What if: Performing the operation `"Remove-MgGroupMemberByRef_Delete`" on target `"Call remote 'DELETE /groups/{group-id}/members/{directoryObject-id}/`$ref' operation`"."
        "$($what[1])" | Should -BeLikeExactly "*New-MgGroupMember_CreateExpanded*POST /groups/{group-id}/members/`$ref*"

        $mark = Get-RequestMark
        Remove-MgGroupMemberByRef -GroupId "$PowerBiGroup/members/$LeeId/`$ref#" -DirectoryObjectId '..' -ErrorVariable bad -ErrorAction SilentlyContinue
        Remove-MgGroupMemberByRef -GroupId '../users' -DirectoryObjectId "${LeeId}?x" -ErrorVariable +failed -ErrorAction SilentlyContinue
        $bad[0].Exception.Message | Should -BeLikeExactly "*DirectoryObjectId '..'*"
        $sent = @(Get-Written $mark)
        $sent | Should -HaveCount 1
        $sent[0].path | Should -BeExactly "/v1.0/groups/..%2Fusers/members/$LeeId%3Fx/`$ref"
        (Get-MgGroupMember -GroupId $PowerBiGroup -All).Id | Should -Contain $LeeId
    }

    It 'takes the group and member from -InputObject, piped or given, and refuses an identity without them' {
        $mark = Get-RequestMark
        $out = @{ GroupId = $PowerBiGroup; DirectoryObjectId = $LeeId } | Remove-MgGroupMemberByRef -PassThru
        $out | Should -BeExactly $true
        New-MgGroupMember -InputObject ([pscustomobject] @{ GroupId = $PowerBiGroup }) -DirectoryObjectId $LeeId
        $sent = @(Get-Written $mark)
        $sent | Should -HaveCount 2
        $sent[0].method | Should -BeExactly 'DELETE'
        $sent[0].path | Should -BeExactly "/v1.0/groups/$PowerBiGroup/members/$LeeId/`$ref"
        $sent[1].method | Should -BeExactly 'POST'
        $sent[1].path | Should -BeExactly "/v1.0/groups/$PowerBiGroup/members/`$ref"
        (Get-MgGroupMember -GroupId $PowerBiGroup -All).Id | Should -Contain $LeeId

        $mark = Get-RequestMark
        $PowerBiGroup | Remove-MgGroupMemberByRef -ErrorVariable bad -ErrorAction SilentlyContinue
        Remove-MgGroupMemberByRef -InputObject @{ GroupId = $PowerBiGroup } -ErrorVariable +bad -ErrorAction SilentlyContinue
        New-MgGroupMember -InputObject @{ Id = $PowerBiGroup } -DirectoryObjectId $LeeId -ErrorVariable +bad -ErrorAction SilentlyContinue
        @(Get-Written $mark) | Should -HaveCount 0
        $bad | Should -HaveCount 3
        $bad[0].Exception.Message | Should -BeLikeExactly '*must name both GroupId and DirectoryObjectId*'
        $bad[1].Exception.Message | Should -BeLikeExactly '*has no DirectoryObjectId string*nothing was changed*'
        $bad[2].Exception.Message | Should -BeLikeExactly '*has no GroupId string*'

        # -BodyParameter: the reference body itself, as the SDK's Create1 and CreateViaIdentity sets take it.
        Remove-MgGroupMemberByRef -GroupId $PowerBiGroup -DirectoryObjectId $LeeId
        $mark = Get-RequestMark
        New-MgGroupMember -GroupId $PowerBiGroup -BodyParameter @{ '@odata.id' = "https://graph.microsoft.com/v1.0/directoryObjects/$LeeId" }
        $sent = @(Get-Written $mark)
        $sent | Should -HaveCount 1
        $sent[0].path | Should -BeExactly "/v1.0/groups/$PowerBiGroup/members/`$ref"
        (Get-MgGroupMember -GroupId $PowerBiGroup -All).Id | Should -Contain $LeeId
        New-MgGroupMember -InputObject @{ GroupId = $PowerBiGroup } -BodyParameter @{ OdataId = "https://graph.microsoft.com/v1.0/directoryObjects/$LeeId" } -ErrorVariable again -ErrorAction SilentlyContinue
        $again[0].FullyQualifiedErrorId | Should -BeExactly 'Request_BadRequest,Microsoft.Graph.PowerShell.Cmdlets.NewMgGroupMember_CreateViaIdentity'
        $mark = Get-RequestMark
        New-MgGroupMember -GroupId $PowerBiGroup -BodyParameter @{ id = $LeeId } -ErrorVariable noRef -ErrorAction SilentlyContinue
        @(Get-Written $mark) | Should -HaveCount 0
        $noRef[0].Exception.Message | Should -BeLikeExactly '*-BodyParameter has no @odata.id string*'

        Remove-MgGroupMemberByRef -InputObject @{ GroupId = $PowerBiGroup; DirectoryObjectId = $AlexId } -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed[0].FullyQualifiedErrorId | Should -BeExactly 'Request_ResourceNotFound,Microsoft.Graph.PowerShell.Cmdlets.RemoveMgGroupMemberByRef_DeleteViaIdentity'
        $failed[0].TargetObject.GroupId | Should -BeExactly $PowerBiGroup
    }
}
