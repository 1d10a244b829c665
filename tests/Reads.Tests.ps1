# Get-MgUser, Get-MgGroup, Get-MgGroupMemberWithLicenseError and Get-MgSubscribedSku against the
# emulator: what goes on the wire, what comes out, paging, counts, errors, and the runbook one-liner.

BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Emulator = Start-TestEmulator
    $script:Token = New-TestToken User.ReadWrite.All, Directory.ReadWrite.All
    Connect-TestEmulator $Token
    $script:PowerBiGroup = 'c7d2e8f4-1a3b-4c5d-9e6f-7a8b9c0d1e2f'

    # The query string of each logged request, '' for none.
    function Get-SentQuery($Requests) { foreach ($r in @($Requests)) { if ($r.query -is [string]) { $r.query } else { '' } } }
}

AfterAll { Stop-TestEmulator $script:Emulator }

Describe 'Get-MgUser' {
    It 'reads all pages of users as the official model, in Graph''s order' {
        $mark = Get-RequestMark
        $users = @(Get-MgUser -All -PageSize 3 -ErrorVariable failed)
        $requests = @(Get-RequestSince $mark)

        $failed | Should -BeNullOrEmpty
        $expected = @(Get-GraphList $Token '/v1.0/users')
        $users | Should -HaveCount $expected.Count
        ($users.Id -join '|') | Should -BeExactly ($expected.id -join '|')
        ($users.UserPrincipalName -join '|') | Should -BeExactly ($expected.userPrincipalName -join '|')
        $users[0].PSObject.TypeNames[0] | Should -BeExactly 'Microsoft.Graph.PowerShell.Models.MicrosoftGraphUser'
        $users[0].PSObject.Properties['AdditionalProperties'] | Should -Not -BeNullOrEmpty
        $requests | Should -HaveCount ([math]::Floor(($expected.Count + 2) / 3))
        $queries = @(Get-SentQuery $requests)
        $queries[0] | Should -BeExactly '$top=3'
        foreach ($query in $queries | Select-Object -Skip 1) { $query | Should -BeLikeExactly '*$skiptoken=*' }
    }

    It 'reads only the first page without -All, and -Top stops at its count' {
        $mark = Get-RequestMark
        $firstPage = @(Get-MgUser -PageSize 2 -ErrorVariable failed)
        $requests = @(Get-RequestSince $mark)

        $failed | Should -BeNullOrEmpty
        $firstPage | Should -HaveCount 2
        $requests | Should -HaveCount 1

        $mark = Get-RequestMark
        $top = @(Get-MgUser -Top 5 -PageSize 2 -ErrorVariable failed)
        $requests = @(Get-RequestSince $mark)

        $failed | Should -BeNullOrEmpty
        $top | Should -HaveCount 5
        $requests | Should -HaveCount 3
    }

    It 'reads one user with the license states asked for, as the runbooks read them' {
        $upn = $TestUsers[0].userPrincipalName
        $mark = Get-RequestMark
        $users = @(Get-MgUser -UserId $upn -Property id, licenseAssignmentStates -ErrorVariable failed)
        $requests = @(Get-RequestSince $mark)

        $failed | Should -BeNullOrEmpty
        $users | Should -HaveCount 1
        $users[0].Id | Should -BeExactly $TestUsers[0].id
        $states = $users[0].PSObject.Properties['LicenseAssignmentStates'].Value
        [object[]].IsAssignableFrom($states.GetType()) | Should -BeTrue
        $states | Should -Not -BeNullOrEmpty
        $states[0].SkuId | Should -Not -Be $null
        $states[0].State | Should -Not -Be $null
        $requests | Should -HaveCount 1
        $requests[0].path | Should -BeExactly "/v1.0/users/$upn"
        $requests[0].query | Should -BeExactly '$select=id%2ClicenseAssignmentStates'
    }

    It 'finds the user a filter by userPrincipalName names' {
        $upn = $TestUsers[1].userPrincipalName
        $users = @(Get-MgUser -Filter "userPrincipalName eq '$upn'" -ErrorVariable failed)

        $failed | Should -BeNullOrEmpty
        $users | Should -HaveCount 1
        $users[0].Id | Should -BeExactly $TestUsers[1].id
    }

    It 'quotes -Search as the official cmdlets do (ListCmdlet.cs FormatSearchValue): <Given>' -ForEach @(
        @{ Given = 'displayName:adele'; Sent = '$search=%22displayName%3Aadele%22' }
        @{ Given = '"displayName:adele"'; Sent = '$search=%22displayName%3Aadele%22' }
        @{ Given = '"displayName:adele" OR "mail:nobody"'; Sent = '$search=%22displayName%3Aadele%22%20OR%20%22mail%3Anobody%22' }
    ) {
        $mark = Get-RequestMark
        $users = @(Get-MgUser -Search $Given -ConsistencyLevel eventual -ErrorVariable failed)
        $requests = @(Get-RequestSince $mark)

        $failed | Should -BeNullOrEmpty
        $requests[0].query | Should -BeExactly $Sent
        $users.UserPrincipalName | Should -Be @('AdeleV@contoso.com')
    }

    It 'finds users by a word of their name with -Search and -ConsistencyLevel' {
        $mark = Get-RequestMark
        $users = @(Get-MgUser -Search '"displayName:adele"' -ConsistencyLevel eventual -All -ErrorVariable failed)
        $requests = @(Get-RequestSince $mark)

        $failed | Should -BeNullOrEmpty
        $users | Should -HaveCount 1
        $users[0].UserPrincipalName | Should -BeExactly 'AdeleV@contoso.com'
        $requests | Should -HaveCount 1
        $requests[0].query | Should -BeExactly '$search=%22displayName%3Aadele%22'
    }

    It 'sets -CountVariable and -ResponseHeadersVariable in the global scope, as the official cmdlets do' {
        # ListCmdlet.cs (OnBeforeWriteObject) stores the count as "global:<name>" unless the name has a scope; AutoRest's
        # class.ts does the same for the headers. A helper function's caller reads both.
        Remove-Variable -Scope Global -Name helperCount, helperHeaders -ErrorAction Ignore
        function Read-Licensed { Get-MgUser -Top 2 -ConsistencyLevel eventual -CountVariable helperCount -RHV helperHeaders }

        $users = @(Read-Licensed)
        $count = Get-Variable -Scope Global -Name helperCount -ValueOnly
        $headers = Get-Variable -Scope Global -Name helperHeaders -ValueOnly
        Remove-Variable -Scope Global -Name helperCount, helperHeaders

        $users | Should -HaveCount 2
        $count | Should -Be $TestUsers.Count
        Test-DictionaryKey $headers 'request-id' | Should -BeTrue
    }

    It 'gives -CountVariable the count of an advanced query, which Graph refuses without -ConsistencyLevel' {
        $users = @(Get-MgUser -Filter "assignedLicenses/`$count ne 0" -ConsistencyLevel eventual -CountVariable n -All -PageSize 2 -ErrorVariable failed)

        $failed | Should -BeNullOrEmpty
        $users | Should -Not -BeNullOrEmpty
        $n | Should -BeOfType [long]
        $n | Should -Be $users.Count
        $licensed = @(Get-GraphList $Token '/v1.0/users?$select=id,assignedLicenses' | Where-Object { @($_.assignedLicenses).Count -gt 0 })
        $users | Should -HaveCount $licensed.Count

        # Without ConsistencyLevel Graph refuses the advanced query: one error record with Graph's code, nothing written,
        # and the count of an earlier read is not left in the variable to be mistaken for this one's.
        $global:n2 = 7
        $refused = @(Get-MgUser -Filter "assignedLicenses/`$count ne 0" -CountVariable n2 -All -ErrorVariable refusals 2>$null)
        $left = Get-Variable -Scope Global -Name n2 -ValueOnly
        Remove-Variable -Scope Global -Name n2

        $left | Should -BeNullOrEmpty

        $refused | Should -HaveCount 0
        $refusals | Should -HaveCount 1
        $refusals[0].ErrorDetails | Should -Not -BeNullOrEmpty
        $refusals[0].ErrorDetails.Message | Should -BeLikeExactly '*Status: 400*'
    }

    It 'writes a missing user as Graph''s error record, and keeps the response headers' {
        $missing = @(Get-MgUser -UserId nobody@contoso.com -ErrorVariable failed 2>$null)

        $missing | Should -HaveCount 0
        $failed | Should -HaveCount 1
        # As the official Get-MgUser_Get variant: its FullyQualifiedErrorId, and the operation's parameters as the target.
        $failed[0].FullyQualifiedErrorId | Should -BeExactly 'Request_ResourceNotFound,Microsoft.Graph.PowerShell.Cmdlets.GetMgUser_Get'
        $failed[0].TargetObject.UserId | Should -BeExactly 'nobody@contoso.com'
        $failed[0].ErrorDetails.Message | Should -BeLikeExactly '*Status: 404*'

        Get-MgUser -Top 1 -ResponseHeadersVariable h | Out-Null
        $h -is [System.Collections.IDictionary] | Should -BeTrue
        Test-DictionaryKey $h 'request-id' | Should -BeTrue
        Test-DictionaryKey $h 'Request-Id' | Should -BeTrue -Because 'the map is case-insensitive as the official one is'
    }

    It 'refuses bad input by name and sends nothing' {
        $mark = Get-RequestMark
        $result = Invoke-Captured { Get-MgUser -All -Headers @{ 'X-Test' = "a`r`nInjected: 1" } }
        $requests = @(Get-RequestSince $mark)

        $result.Output.Count | Should -Be 0
        $result.AllErrors | Should -HaveCount 1
        $result.AllErrors[0].Exception.Message | Should -BeLikeExactly "*'X-Test'*"
        $requests.Count | Should -Be 0

        $mark = Get-RequestMark
        $result = Invoke-Captured { Get-MgGroupMemberWithLicenseError -GroupId '..' -All }
        $requests = @(Get-RequestSince $mark)

        $result.AllErrors | Should -HaveCount 1
        $result.AllErrors[0].Exception.Message | Should -BeLikeExactly "*GroupId '..'*"
        $requests.Count | Should -Be 0

        # A slash is escaped, not a path: the group is asked for (and not found).
        $mark = Get-RequestMark
        $null = Invoke-Captured { Get-MgGroup -GroupId 'a/b' }
        $requests = @(Get-RequestSince $mark)

        $requests | Should -HaveCount 1
        $requests[0].path | Should -BeExactly '/v1.0/groups/a%2Fb'
    }

    It 'shows the calls with -Debug and never the token' {
        $all = @(Get-MgUser -Top 3 -PageSize 2 -Debug -ErrorVariable failed 5>&1)

        $failed | Should -BeNullOrEmpty
        $debug = @($all | Where-Object { $_ -is [System.Management.Automation.DebugRecord] } | ForEach-Object Message)
        $shown = $debug -join "`n---`n"
        @($debug | Where-Object { $_.Contains("GET`n`nAbsolute Uri:`n$($Emulator.Url)/v1.0/users?`$top=2`n") }).Count | Should -BeGreaterThan 0 -Because $shown
        @($debug | Where-Object { $_.Contains("Absolute Uri:`n$($Emulator.Url)/v1.0/users?`$top=2&`$skiptoken=") }).Count | Should -BeGreaterThan 0 -Because $shown
        @($debug | Where-Object { $_.Contains($Token) }).Count | Should -Be 0
    }
}

Describe 'Get-MgGroup and Get-MgGroupMemberWithLicenseError' {
    It 'read the groups with errors and their members, and the one-liner reprocesses every member' {
        $groups = @(Get-MgGroup -Filter 'hasMembersWithLicenseErrors eq true' -All -ErrorVariable failed)

        $failed | Should -BeNullOrEmpty
        $groups | Should -Not -BeNullOrEmpty
        $groups[0].PSObject.TypeNames[0] | Should -BeExactly 'Microsoft.Graph.PowerShell.Models.MicrosoftGraphGroup'
        $groupId = "$($groups[0].Id)"

        $members = @(Get-MgGroupMemberWithLicenseError -GroupId $groupId -All -ErrorVariable failed)

        $failed | Should -BeNullOrEmpty
        $expected = @(Get-GraphList $Token "/v1.0/groups/$groupId/membersWithLicenseErrors")
        $members | Should -HaveCount $expected.Count
        ($members.Id -join '|') | Should -BeExactly ($expected.id -join '|')
        $members[0].PSObject.TypeNames[0] | Should -BeExactly 'Microsoft.Graph.PowerShell.Models.MicrosoftGraphDirectoryObject'
        $additional = $members[0].PSObject.Properties['AdditionalProperties'].Value
        $additional -is [System.Collections.IDictionary] | Should -BeTrue
        $additional['userPrincipalName'] | Should -BeOfType [string]
        $additional['userPrincipalName'] | Should -BeExactly $expected[0].userPrincipalName
        "$($members[0].UserPrincipalName)" | Should -BeExactly $expected[0].userPrincipalName

        $everyMember = 0
        foreach ($group in $groups) { $everyMember += @(Get-GraphList $Token "/v1.0/groups/$($group.Id)/membersWithLicenseErrors").Count }
        $mark = Get-RequestMark
        $reprocessed = @(Get-MgGroup -Filter 'hasMembersWithLicenseErrors eq true' -All | ForEach-Object { Get-MgGroupMemberWithLicenseError -GroupId $_.Id -All } | Invoke-MgLicenseUser -ErrorVariable failed)
        $requests = @(Get-RequestSince $mark)

        $failed | Should -BeNullOrEmpty
        $reprocessed | Should -HaveCount $everyMember
        @($requests | Where-Object { $_.method -ceq 'POST' -and $_.path.EndsWith('/reprocessLicenseAssignment', [StringComparison]::Ordinal) }) | Should -HaveCount $everyMember
    }

    It 'reads one group by id as that group' {
        $mark = Get-RequestMark
        $groups = @(Get-MgGroup -GroupId $PowerBiGroup -ErrorVariable failed)
        $requests = @(Get-RequestSince $mark)

        $failed | Should -BeNullOrEmpty
        $requests | Should -HaveCount 1
        $requests[0].path | Should -BeExactly "/v1.0/groups/$PowerBiGroup"
        $requests[0].PSObject.Properties.Name | Should -Contain 'query'
        $null -eq $requests[0].query | Should -BeTrue
        $groups | Should -HaveCount 1
        $groups[0].PSObject.TypeNames[0] | Should -BeExactly 'Microsoft.Graph.PowerShell.Models.MicrosoftGraphGroup'
        "$($groups[0].Id)" | Should -BeExactly $PowerBiGroup
        "$($groups[0].DisplayName)" | Should -BeExactly 'Power BI Pro'
        $licenses = $groups[0].PSObject.Properties['AssignedLicenses'].Value
        [object[]].IsAssignableFrom($licenses.GetType()) | Should -BeTrue
        $licenses | Should -HaveCount 1
        $licenses[0] -is [psobject] | Should -BeTrue
        "$($licenses[0].SkuId)" | Should -BeExactly 'f8a1db68-be16-40ed-86d5-cb42ce701560'
    }

    It 'puts -Property and -Top on the wire, and they shape what comes back' {
        $mark = Get-RequestMark
        $selected = @(Get-MgGroup -GroupId $PowerBiGroup -Property id, displayName -ErrorVariable failed)
        $requests = @(Get-RequestSince $mark)

        $failed | Should -BeNullOrEmpty
        $requests | Should -HaveCount 1
        $requests[0].query | Should -BeExactly '$select=id%2CdisplayName'
        $selected | Should -HaveCount 1
        "$($selected[0].DisplayName)" | Should -BeExactly 'Power BI Pro'
        $null -eq $selected[0].PSObject.Properties['AssignedLicenses']?.Value | Should -BeTrue

        $mark = Get-RequestMark
        $top = @(Get-MgGroup -Top 1 -Property displayName -ErrorVariable failed)
        $requests = @(Get-RequestSince $mark)

        $failed | Should -BeNullOrEmpty
        $requests | Should -HaveCount 1
        $requests[0].query | Should -BeExactly '$select=displayName&$top=1'
        $top | Should -HaveCount 1
        "$($top[0].DisplayName)" | Should -BeExactly @(Get-GraphList $Token '/v1.0/groups')[0].displayName
        $null -eq $top[0].PSObject.Properties['Id']?.Value | Should -BeTrue
    }

    It 'selects with -Property what each member with license errors carries' {
        $mark = Get-RequestMark
        $members = @(Get-MgGroupMemberWithLicenseError -GroupId $PowerBiGroup -Property id,userPrincipalName -All -ErrorVariable failed)
        $requests = @(Get-RequestSince $mark)

        $failed | Should -BeNullOrEmpty
        $requests | Should -HaveCount 1
        $requests[0].path | Should -BeExactly "/v1.0/groups/$PowerBiGroup/membersWithLicenseErrors"
        $requests[0].query | Should -BeExactly '$select=id%2CuserPrincipalName'
        $expected = @(Get-GraphList $Token "/v1.0/groups/$PowerBiGroup/membersWithLicenseErrors")
        $members | Should -HaveCount $expected.Count
        ($members.UserPrincipalName -join '|') | Should -BeExactly ($expected.userPrincipalName -join '|')
        foreach ($member in $members) {
            $additional = $member.PSObject.Properties['AdditionalProperties'].Value
            $additional -is [System.Collections.IDictionary] | Should -BeTrue
            Test-DictionaryKey $additional 'userPrincipalName' | Should -BeTrue
            Test-DictionaryKey $additional 'displayName' | Should -BeFalse -Because 'only the selected properties come back'
        }
    }
}

Describe 'Get-MgSubscribedSku' {
    It 'reads the subscribed SKUs with their part numbers and seats' {
        $skus = @(Get-MgSubscribedSku -All -ErrorVariable failed)

        $failed | Should -BeNullOrEmpty
        $expected = @(Get-GraphList $Token '/v1.0/subscribedSkus')
        $skus | Should -HaveCount $expected.Count
        ($skus.SkuPartNumber -join '|') | Should -BeExactly ($expected.skuPartNumber -join '|')
        $skus[0].PSObject.TypeNames[0] | Should -BeExactly 'Microsoft.Graph.PowerShell.Models.MicrosoftGraphSubscribedSku'
        $prepaid = $skus[0].PSObject.Properties['PrepaidUnits'].Value
        $prepaid -is [psobject] | Should -BeTrue
        $null -ne $prepaid.PSObject.Properties['Enabled'].Value | Should -BeTrue
    }
}

Describe 'The read cmdlets' {
    It 'have the official parameter sets' {
        [string[]] $sets = foreach ($name in 'Get-MgUser', 'Get-MgGroup', 'Get-MgGroupMemberWithLicenseError', 'Get-MgSubscribedSku') {
            $command = Get-Command $name
            foreach ($set in $command.ParameterSets) {
                '{0}:{1}:{2}' -f $command.Name, $set.Name, (($set.Parameters | Where-Object IsMandatory | ForEach-Object Name) -join ',')
            }
        }

        # The sets of the official reference pages (Get-MgUser.md, Get-MgGroup.md, Get-MgGroupMemberWithLicenseError.md,
        # Get-MgSubscribedSku.md), with their mandatory parameters.
        [string[]] $official = @(
            'Get-MgUser:List:', 'Get-MgUser:Get:UserId', 'Get-MgUser:GetViaIdentity:InputObject',
            'Get-MgGroup:List:', 'Get-MgGroup:Get:GroupId', 'Get-MgGroup:GetViaIdentity:InputObject',
            'Get-MgGroupMemberWithLicenseError:List:GroupId', 'Get-MgGroupMemberWithLicenseError:Get:DirectoryObjectId,GroupId',
            'Get-MgGroupMemberWithLicenseError:GetViaIdentity:InputObject',
            'Get-MgSubscribedSku:List:', 'Get-MgSubscribedSku:Get:SubscribedSkuId', 'Get-MgSubscribedSku:GetViaIdentity:InputObject'
        )
        $sets | Should -HaveCount $official.Count
        Join-Sorted $sets '|' | Should -BeExactly (Join-Sorted $official '|')
    }

    It '<Command> has -ExpandProperty (alias -Expand) in every set, and -Skip <Skip>' -ForEach @(
        @{ Command = 'Get-MgUser'; Skip = 'nowhere' }
        @{ Command = 'Get-MgGroup'; Skip = 'in List' }
        @{ Command = 'Get-MgGroupMemberWithLicenseError'; Skip = 'in List' }
        @{ Command = 'Get-MgSubscribedSku'; Skip = 'in List' }
        @{ Command = 'Get-MgGroupMember'; Skip = 'in List' }
        @{ Command = 'Get-MgUserLicenseDetail'; Skip = 'in List' }
    ) {
        $command = Get-Command $Command
        $expand = $command.Parameters['ExpandProperty']
        $expand.Aliases | Should -Be @('Expand')
        $expand.ParameterType | Should -Be ([string[]])
        foreach ($set in $command.ParameterSets) { $set.Parameters.Name | Should -Contain 'ExpandProperty' }
        if ($Skip -eq 'nowhere') {
            $command.Parameters.ContainsKey('Skip') | Should -BeFalse
        } else {
            @($command.Parameters['Skip'].ParameterSets.Keys) | Should -Be @('List')
            $command.Parameters['Skip'].ParameterType | Should -Be ([int])
        }
    }

    It 'send -ExpandProperty as $expand and show what Graph expanded: <Read>' -ForEach @(
        @{ Read = 'Get-MgUser -UserId <id> -ExpandProperty memberOf'; Run = { Get-MgUser -UserId $TestUsers[0].id -ExpandProperty memberOf }; Query = '$expand=memberOf'; Property = 'MemberOf' }
        @{ Read = 'Get-MgUser -Top 1 -Expand memberOf'; Run = { Get-MgUser -Top 1 -Expand memberOf }; Query = '$expand=memberOf&$top=1'; Property = 'MemberOf' }
        @{ Read = 'Get-MgGroup -GroupId <id> -Expand members'; Run = { Get-MgGroup -GroupId $PowerBiGroup -Expand members }; Query = '$expand=members'; Property = 'Members' }
    ) {
        $mark = Get-RequestMark
        $read = @(& $Run)
        $requests = @(Get-RequestSince $mark)

        $requests | Should -HaveCount 1
        $requests[0].query | Should -BeExactly $Query
        $read | Should -HaveCount 1
        @($read[0].$Property).Count | Should -BeGreaterThan 0
        @($read[0].$Property)[0].Id | Should -Not -BeNullOrEmpty
    }

    It 'send -Skip as $skip, which Graph refuses on directory objects: <Command>' -ForEach @(
        @{ Command = 'Get-MgGroup'; Parameters = @{ Skip = 2 } }
        @{ Command = 'Get-MgGroupMemberWithLicenseError'; Parameters = @{ Skip = 2; GroupId = 'c7d2e8f4-1a3b-4c5d-9e6f-7a8b9c0d1e2f' } }
        @{ Command = 'Get-MgGroupMember'; Parameters = @{ Skip = 2; GroupId = 'c7d2e8f4-1a3b-4c5d-9e6f-7a8b9c0d1e2f' } }
        @{ Command = 'Get-MgUserLicenseDetail'; Parameters = @{ Skip = 2 }; OfUser = $true }
    ) {
        if ($OfUser) { $Parameters.UserId = $TestUsers[0].id }
        $mark = Get-RequestMark
        $read = @(& $Command @Parameters -ErrorVariable failed 2>$null)
        $requests = @(Get-RequestSince $mark)

        $requests | Should -HaveCount 1
        $requests[0].query | Should -BeExactly '$skip=2'
        $read | Should -HaveCount 0
        # As the official cmdlet shows it (msgraph-sdk-powershell #1771: "Get-MgUser_List: '$skip' is not supported by the service.").
        $failed | Should -HaveCount 1
        $failed[0].Exception.Message | Should -BeExactly "[Request_BadRequest] : '`$skip' is not supported by the service."
        $failed[0].FullyQualifiedErrorId | Should -BeExactly "Request_BadRequest,Microsoft.Graph.PowerShell.Cmdlets.$($Command.Replace('-', ''))_List"
        $failed[0].TargetObject.Skip | Should -Be 2
    }

    It 'read one object by id as the list has it: <Read>' -ForEach @(
        @{ Read = 'Get-MgSubscribedSku -SubscribedSkuId'; Set = 'Get' }
        @{ Read = 'Get-MgSubscribedSku -InputObject @{ SubscribedSkuId }'; Set = 'GetViaIdentity' }
    ) {
        $listed = @(Get-MgSubscribedSku)[1]
        $mark = Get-RequestMark
        $one = @(if ($Set -eq 'Get') { Get-MgSubscribedSku -SubscribedSkuId $listed.Id } else { @{ SubscribedSkuId = $listed.Id } | Get-MgSubscribedSku })
        $requests = @(Get-RequestSince $mark)

        $requests | Should -HaveCount 1
        $requests[0].path | Should -BeExactly "/v1.0/subscribedSkus/$($listed.Id)"
        $one | Should -HaveCount 1
        $one[0].SkuPartNumber | Should -BeExactly $listed.SkuPartNumber
        $one[0].PSObject.TypeNames[0] | Should -BeExactly 'Microsoft.Graph.PowerShell.Models.MicrosoftGraphSubscribedSku'
    }

    It 'Get-MgGroupMemberWithLicenseError has -ConsistencyLevel in every set, as the SDK, and sends it with a single read too' {
        $command = Get-Command Get-MgGroupMemberWithLicenseError
        foreach ($set in $command.ParameterSets) { $set.Parameters.Name | Should -Contain 'ConsistencyLevel' }
        $member = @(Get-MgGroupMemberWithLicenseError -GroupId $PowerBiGroup)[0]

        $mark = Get-RequestMark
        $byId = @(Get-MgGroupMemberWithLicenseError -GroupId $PowerBiGroup -DirectoryObjectId $member.Id -ConsistencyLevel eventual)
        $byIdentity = @(@{ GroupId = $PowerBiGroup; DirectoryObjectId = $member.Id } | Get-MgGroupMemberWithLicenseError -ConsistencyLevel eventual)
        $requests = @(Get-RequestSince $mark)

        $requests | Should -HaveCount 2
        foreach ($request in $requests) {
            $request.path | Should -BeExactly "/v1.0/groups/$PowerBiGroup/membersWithLicenseErrors/$($member.Id)"
            Get-SentHeader $request 'ConsistencyLevel' | Should -BeExactly 'eventual'
        }
        $byId[0].Id | Should -BeExactly $member.Id
        $byIdentity[0].Id | Should -BeExactly $member.Id
    }

    It 'read one group by -InputObject, and one member with license errors by id or -InputObject' {
        $member = @(Get-MgGroupMemberWithLicenseError -GroupId $PowerBiGroup)[0]

        $mark = Get-RequestMark
        $group = @(@{ GroupId = $PowerBiGroup } | Get-MgGroup)
        $byId = @(Get-MgGroupMemberWithLicenseError -GroupId $PowerBiGroup -DirectoryObjectId $member.Id)
        $byIdentity = @([pscustomobject]@{ GroupId = $PowerBiGroup; DirectoryObjectId = $member.Id } | Get-MgGroupMemberWithLicenseError)
        $requests = @(Get-RequestSince $mark)

        ($requests.path -join '|') | Should -BeExactly ((
                "/v1.0/groups/$PowerBiGroup",
                "/v1.0/groups/$PowerBiGroup/membersWithLicenseErrors/$($member.Id)",
                "/v1.0/groups/$PowerBiGroup/membersWithLicenseErrors/$($member.Id)") -join '|')
        $group[0].Id | Should -BeExactly $PowerBiGroup
        $byId[0].Id | Should -BeExactly $member.Id
        $byId[0].PSObject.TypeNames[0] | Should -BeExactly 'Microsoft.Graph.PowerShell.Models.MicrosoftGraphDirectoryObject'
        $byId[0].AdditionalProperties['@odata.type'] | Should -BeExactly '#microsoft.graph.user'
        $byIdentity[0].Id | Should -BeExactly $member.Id
    }

    It 'refuse an -InputObject without the id it needs, for that input only' {
        $mark = Get-RequestMark
        $read = @(@{ Nothing = 1 }, @{ GroupId = $PowerBiGroup } | Get-MgGroup -ErrorVariable failed 2>$null)
        $requests = @(Get-RequestSince $mark)

        $requests | Should -HaveCount 1
        $read | Should -HaveCount 1
        $failed | Should -HaveCount 1
        $failed[0].Exception.Message | Should -BeLikeExactly '*InputObject has no GroupId*'
        $failed[0].FullyQualifiedErrorId | Should -BeExactly 'InvalidArgument,Microsoft.Graph.PowerShell.Cmdlets.GetMgGroup_GetViaIdentity'
    }
}
