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

    It 'reads each user of a page from its bytes as the reprocess cmdlets read a user from its tree' {
        # Brackets and quotes inside strings, escapes, white space inside items, lists with an item of another type, a
        # member repeated in another case, nulls and nested models: Get-MgUser reads a page's users one by one straight
        # from their bytes into the model, Invoke-MgLicenseUser reads the user it answers through a tree, and each user
        # must come out the same either way.
        $users = @(
            '{ "id" : "u1", "displayName" : "R&D {east} [2] \"quoted\" \u00e9\\", "businessPhones" : [ "1", 2 ],
               "assignedLicenses" : [ { "skuId" : "a", "disabledPlans" : [ "p" ] }, 5 ], "jobTitle" : "x", "JobTitle" : "y" }'
            '{"id":"u2","licenseAssignmentStates":[{"error":"None","lastUpdatedDateTime":"2026-01-02T03:04:05Z","disabledPlans":null},null],"accountEnabled":null,"birthday":"2000-02-29","createdDateTime":7,"otherMails":[],"employeeOrgData":{"division":"d","costCenter":[1]}}'
            '{}'
        )
        function Get-Answer([string] $Body) { "HTTP/1.1 200 OK`r`nContent-Type: application/json`r`nContent-Length: $($Body.Length)`r`n`r`n$Body" }
        function Show($User) { $User.ToJsonString() + ' ' + (@($User.AdditionalProperties.Keys | Sort-Object) -join ',') }
        $stubs = @(New-StubGraph (Get-Answer ('{"value":[' + ($users -join ' , ') + ']}'))) + @($users | ForEach-Object { New-StubGraph (Get-Answer $_) })
        try {
            Connect-StubGraph $stubs[0] (New-TestToken User.ReadWrite.All) | Out-Null
            $paged = @(Get-MgUser -All -ErrorAction Stop | ForEach-Object { Show $_ })
            $alone = for ($i = 1; $i -lt $stubs.Count; $i++) {
                Connect-StubGraph $stubs[$i] (New-TestToken User.ReadWrite.All) | Out-Null
                Show (Invoke-MgLicenseUser -UserId "u$i" -ErrorAction Stop)
            }

            $paged | Should -HaveCount 3
            $alone | Should -HaveCount 3
            for ($i = 0; $i -lt 3; $i++) { $paged[$i] | Should -BeExactly $alone[$i] }
            $paged[0] | Should -BeLikeExactly '*"displayName":"R&D {east} `[2`] \"quoted\" é\\"*'
            $paged[0] | Should -BeLikeExactly '* assignedLicenses,businessPhones,JobTitle'
            $paged[1] | Should -BeLikeExactly '*"lastUpdatedDateTime":"2026-01-02T03:04:05Z"*'
            $paged[1] | Should -BeLikeExactly '* createdDateTime'
        } finally {
            Disconnect-MgGraph -ErrorAction Ignore | Out-Null
            foreach ($stub in $stubs) {
                Get-MgEnvironment | Where-Object GraphEndpoint -EQ $stub.Url | ForEach-Object { Remove-MgEnvironment -Name $_.Name }
                $stub.Dispose()
            }
        }
    }
}

Describe 'Every output type as the official model has it' {
    BeforeAll {
        Connect-TestEmulator (New-TestToken User.ReadWrite.All, Directory.Read.All)
        # The official model's property names, read from the Graph .NET SDK's models by tools/ModelTypes/Write-ModelTypes.ps1.
        $script:Types = [xml] (Get-Content -Raw (Join-Path (Split-Path $ModuleManifest) 'MgLicense.types.ps1xml'))
        function Get-ModelMember([string] $TypeName) {
            @($Types.Types.Type | Where-Object Name -eq $TypeName | ForEach-Object { $_.Members.ScriptProperty.Name })
        }
    }

    It '<Read> writes <TypeName> with every property of the official model, null when Graph did not return it, under StrictMode' -ForEach @(
        @{ Read = 'Get-MgUser'; Run = { Get-MgUser -UserId $Adele }; TypeName = 'Microsoft.Graph.PowerShell.Models.MicrosoftGraphUser'; Absent = 'Manager', 'MemberOf', 'Drive'; Returned = 'Id' }
        @{ Read = 'Invoke-MgBetaLicenseUser'; Run = { Invoke-MgBetaLicenseUser -UserId $Adele }; TypeName = 'Microsoft.Graph.Beta.PowerShell.Models.MicrosoftGraphUser'; Absent = 'Manager', 'Sponsors'; Returned = 'Id' }
        @{ Read = 'Get-MgGroup -Property'; Run = { Get-MgGroup -Top 1 -Property id, displayName }; TypeName = 'Microsoft.Graph.PowerShell.Models.MicrosoftGraphGroup'; Absent = 'Mail', 'Visibility', 'Members', 'HasMembersWithLicenseErrors'; Returned = 'DisplayName' }
        @{ Read = 'Get-MgSubscribedSku -Property'; Run = { Get-MgSubscribedSku -Property skuId }; TypeName = 'Microsoft.Graph.PowerShell.Models.MicrosoftGraphSubscribedSku'; Absent = 'SkuPartNumber', 'PrepaidUnits', 'AccountName'; Returned = 'SkuId' }
        @{ Read = 'Get-MgGroupMemberWithLicenseError'; Run = { Get-MgGroupMemberWithLicenseError -GroupId 'c7d2e8f4-1a3b-4c5d-9e6f-7a8b9c0d1e2f' }; TypeName = 'Microsoft.Graph.PowerShell.Models.MicrosoftGraphDirectoryObject'; Absent = 'DeletedDateTime'; Returned = 'Id' }
    ) {
        $object = @(& $Run)[0]
        $members = Get-ModelMember $TypeName

        $object.PSObject.TypeNames[0] | Should -BeExactly $TypeName
        $members.Count | Should -BeGreaterThan 0
        # A script under StrictMode reads any property of the official model without an error.
        $read = & {
            Set-StrictMode -Version Latest
            foreach ($name in $members) { [pscustomobject]@{ Name = $name; Value = $object.$name } }
        }
        @($read).Count | Should -Be $members.Count
        foreach ($name in $Absent) {
            $object.PSObject.Properties[$name] | Should -Not -BeNullOrEmpty -Because "$name is a property of the official model"
            $null -eq $object.$name | Should -BeTrue -Because "Graph did not return $name"
        }
        # What Graph returned is not hidden by the model's empty properties.
        $object.$Returned | Should -Not -BeNullOrEmpty
    }

    It 'keeps memory flat: the model''s properties are members of the type, not of each object' {
        $users = @(Get-MgUser -All)

        foreach ($user in $users) {
            # Only what the object carries itself (a property no class declares, from AdditionalProperties) is an instance member.
            @($user.PSObject.Properties.Match('Manager', [System.Management.Automation.PSMemberTypes]::NoteProperty)).Count | Should -Be 0
        }
        (Get-TypeData 'Microsoft.Graph.PowerShell.Models.MicrosoftGraphUser').Members.ContainsKey('Manager') | Should -BeTrue
    }

    It '<Read> has ToJsonString(), which gives Graph''s JSON of the object' -ForEach @(
        @{ Read = 'Get-MgUser'; Run = { Get-MgUser -UserId $Adele -Property id, displayName, accountEnabled, licenseAssignmentStates }; Check = { param($j, $o) $j.id -eq $o.Id -and $j.displayName -eq $o.DisplayName -and $j.accountEnabled -eq $o.AccountEnabled -and $j.licenseAssignmentStates[0].skuId -eq $o.LicenseAssignmentStates[0].SkuId -and $j.licenseAssignmentStates[0].lastUpdatedDateTime -is [datetime] } }
        @{ Read = 'Get-MgGroup'; Run = { Get-MgGroup -Top 1 }; Check = { param($j, $o) $j.id -eq $o.Id -and $j.displayName -eq $o.DisplayName -and -not $j.PSObject.Properties['mail'] } }
        @{ Read = 'Get-MgSubscribedSku'; Run = { Get-MgSubscribedSku | Select-Object -First 1 }; Check = { param($j, $o) $j.skuPartNumber -eq $o.SkuPartNumber -and $j.prepaidUnits.enabled -eq $o.PrepaidUnits.Enabled -and $j.servicePlans.Count -eq $o.ServicePlans.Count } }
        @{ Read = 'Get-MgGroupMemberWithLicenseError'; Run = { Get-MgGroupMemberWithLicenseError -GroupId 'c7d2e8f4-1a3b-4c5d-9e6f-7a8b9c0d1e2f' | Select-Object -First 1 }; Check = { param($j, $o) $j.id -eq $o.Id -and $j.'@odata.type' -eq '#microsoft.graph.user' } }
    ) {
        $object = & $Run

        $text = $object.ToJsonString()

        $text | Should -BeOfType [string]
        $json = $text | ConvertFrom-Json
        & $Check $json $object | Should -BeTrue -Because $text
        # Graph's names, camelCase, each once, and no property the object does not hold.
        $text | Should -Not -MatchExactly '"[A-Z]\w*":'
        $text | Should -Not -MatchExactly ':null'
    }
}
