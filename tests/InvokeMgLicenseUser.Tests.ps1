# What a user of Invoke-MgLicenseUser sees, checked against what the emulator was actually sent.
# (-Confirm answered "No" needs a host that answers prompts by script: that one stays in xunit,
# tests/MgLicense.Tests/ShouldProcessTests.cs.)

BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Emulator = Start-TestEmulator
    $script:WhatIfLine = "What if: Performing the operation `"Invoke-MgLicenseUser_License`" on target `"Call remote 'POST /users/{user-id}/reprocessLicenseAssignment' operation`"."
}

AfterAll { Stop-TestEmulator $script:Emulator }

Describe 'Invoke-MgLicenseUser' {
    Context 'connected with User.ReadWrite.All' {
        BeforeAll { Connect-TestEmulator (New-TestToken User.ReadWrite.All) }

        It 'reprocesses a seeded user and writes the user' {
            $user = $TestUsers[0]
            $id = $user.id

            $mark = Get-RequestMark
            $output = @(Invoke-MgLicenseUser -UserId $id -ErrorVariable errors)
            $sent = @(Get-RequestSince $mark)

            $errors | Should -HaveCount 0
            $output | Should -HaveCount 1
            $output[0].Id | Should -BeExactly $id
            $output[0].DisplayName | Should -BeExactly $user.displayName
            $output[0].UserPrincipalName | Should -BeExactly $user.userPrincipalName
            $output[0].PSObject.TypeNames[0] | Should -BeExactly 'Microsoft.Graph.PowerShell.Models.MicrosoftGraphUser'
            $output[0].PSObject.TypeNames -ccontains 'MgLicense.User' | Should -BeTrue
            $output[0].PSObject.Properties['AdditionalProperties'].Value -is [System.Collections.IDictionary] | Should -BeTrue

            $sent | Should -HaveCount 1
            $sent[0].method | Should -BeExactly 'POST'
            $sent[0].path | Should -BeExactly "/v1.0/users/$id/reprocessLicenseAssignment"
            Get-SentHeader $sent[0] authorization | Should -BeExactly 'Bearer <redacted>'
            $sent[0].status | Should -Be 200
        }

        It 'writes one non-terminating error for an unknown user, shaped like the official one' {
            $id = '00000000-0000-0000-0000-00000000dead'

            $caught = $null
            try { $output = @(Invoke-MgLicenseUser -UserId $id -ErrorVariable errors 2>$null; 'still running') } catch { $caught = $_ }

            $caught | Should -BeNullOrEmpty
            $output | Should -HaveCount 1
            $output[0] | Should -BeExactly 'still running'
            $errors | Should -HaveCount 1
            $errors[0] | Should -BeOfType [System.Management.Automation.ErrorRecord]
            $errors[0].FullyQualifiedErrorId | Should -BeExactly 'Request_ResourceNotFound,Microsoft.Graph.PowerShell.Cmdlets.InvokeMgLicenseUser_License'
            $errors[0].CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::InvalidOperation)
            $errors[0].Exception.Message | Should -BeExactly "[Request_ResourceNotFound] : Resource '$id' does not exist or one of its queried reference-property objects are not present."
            $errors[0].TargetObject.UserId | Should -BeExactly $id
            $errors[0].ErrorDetails | Should -Not -BeNullOrEmpty
            $details = $errors[0].ErrorDetails.Message
            $details | Should -MatchExactly ('^' + [regex]::Escape("Resource '$id' does not exist"))
            $details | Should -MatchExactly ([regex]::Escape('Status: 404 (NotFound)'))
            $details | Should -MatchExactly ([regex]::Escape('ErrorCode: Request_ResourceNotFound'))
            $details | Should -MatchExactly "`nDate: "
            $details | Should -MatchExactly "`nHeaders:`n"
            $details | Should -MatchExactly '\nrequest-id {20}: \S+'
        }

        It 'writes what -ResponseHeadersVariable holds: the request id, under any case, in a generic dictionary' {
            $null = Invoke-MgLicenseUser -UserId $TestUsers[0].id -RHV h -ErrorVariable errors
            $shown = @($h['request-id']; $h['Request-Id']; $h.GetType().FullName)

            $errors | Should -HaveCount 0
            $shown | Should -HaveCount 3
            $shown[0] | Should -BeOfType [string]
            [string]::IsNullOrWhiteSpace($shown[0]) | Should -BeFalse
            $shown[1] | Should -BeExactly $shown[0]
            $shown[2] | Should -BeOfType [string]
            $shown[2] | Should -MatchExactly ('^' + [regex]::Escape('System.Collections.Generic.Dictionary`2[[System.String'))
        }

        It 'gives one user for each piped hashtable, in input order, each sent once' {
            $a = $TestUsers[0].id
            $b = $TestUsers[1].id

            $mark = Get-RequestMark
            $output = @(@{UserId = $b }, @{UserId = $a }, @{userid = $b } | Invoke-MgLicenseUser -ErrorVariable errors)
            $sent = @(Get-RequestSince $mark)

            $errors | Should -HaveCount 0
            $output | Should -HaveCount 3
            ($output.Id -join '|') | Should -BeExactly (($b, $a, $b) -join '|')
            $expected = Get-Sorted ($b, $a, $b | ForEach-Object { "/v1.0/users/$_/reprocessLicenseAssignment" })
            $actual = Get-Sorted $sent.path
            $actual | Should -HaveCount 3
            ($actual -join '|') | Should -BeExactly ($expected -join '|')
        }

        It 'takes an object with a UserId property through -InputObject' {
            $output = @(Invoke-MgLicenseUser -InputObject ([pscustomobject]@{ UserId = $TestUsers[0].id; Note = 'kept' }) -ErrorVariable errors)

            $errors | Should -HaveCount 0
            $output | Should -HaveCount 1
            $output[0].Id | Should -BeExactly $TestUsers[0].id
        }

        It 'stops the pipeline at an identity without a user, like the official cmdlet' {
            $a = $TestUsers[0].id

            $mark = Get-RequestMark
            $output = @(); $errors = $caught = $null
            try { $null = @{UserId = $a }, @{DriveId = 'x' }, @{UserId = $a } | Invoke-MgLicenseUser -OutVariable output -ErrorVariable errors } catch { $caught = $_ }
            $sent = @(Get-RequestSince $mark)

            @($output) | Should -HaveCount 1
            $sent | Should -HaveCount 1
            $all = Get-AllError $errors $caught
            $all | Should -HaveCount 1
            $all[0].Exception.Message | Should -BeExactly 'InputObject has null value for InputObject.UserId'
            $all[0].CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::InvalidArgument)
            $all[0].FullyQualifiedErrorId | Should -BeExactly 'InvalidArgument,MgLicense.Commands.InvokeMgLicenseUser'
        }

        It 'takes back a user it wrote, piped in' {
            $output = @(Invoke-MgLicenseUser -UserId $TestUsers[1].id -ErrorVariable firstErrors | Invoke-MgLicenseUser -ErrorVariable secondErrors)

            $firstErrors | Should -HaveCount 0
            $secondErrors | Should -HaveCount 0
            $output | Should -HaveCount 1
            $output[0].Id | Should -BeExactly $TestUsers[1].id
        }

        It 'sends -Headers values as strings' {
            $mark = Get-RequestMark
            $null = Invoke-MgLicenseUser -UserId $TestUsers[0].id -Headers @{ 'x-ms-throttle-priority' = 'High'; 'x-test-number' = 42 } -ErrorVariable errors
            $sent = @(Get-RequestSince $mark)

            $errors | Should -HaveCount 0
            $sent | Should -HaveCount 1
            Get-SentHeader $sent[0] 'x-ms-throttle-priority' | Should -BeExactly 'High'
            Get-SentHeader $sent[0] 'x-test-number' | Should -BeExactly '42'
        }

        It 'with -BatchSize writes what calls of their own write, and an error per unknown user' {
            $ids = $TestUsers[0].id, 'nobody-1@contoso.com', $TestUsers[1].id, $TestUsers[2].id, 'nobody-2@contoso.com', $TestUsers[3].id, $TestUsers[0].id

            $single = @($ids | Invoke-MgLicenseUser -ErrorVariable singleErrors 2>$null)
            $mark = Get-RequestMark
            $caught = $null
            try { $batched = @($ids | Invoke-MgLicenseUser -BatchSize 20 -ErrorVariable batchedErrors 2>$null) } catch { $caught = $_ }
            $sent = @(Get-RequestSince $mark)

            $caught | Should -BeNullOrEmpty
            $found = @($ids | Where-Object { -not $_.StartsWith('nobody') })
            $batched | Should -HaveCount $found.Count
            ($batched.Id -join '|') | Should -BeExactly ($found -join '|')
            $shape = { param($users) foreach ($u in $users) { '{0}/{1}/{2}/{3}' -f $u.Id, $u.DisplayName, $u.UserPrincipalName, $u.PSObject.TypeNames[0] } }
            $batched | Should -HaveCount $single.Count
            ((& $shape $batched) -join '|') | Should -BeExactly ((& $shape $single) -join '|')
            $batchedErrors | Should -HaveCount 2
            ($batchedErrors.TargetObject.UserId -join '|') | Should -BeExactly 'nobody-1@contoso.com|nobody-2@contoso.com'
            $errorShape = { param($errors) foreach ($e in $errors) { '{0}/{1}/{2}' -f $e.FullyQualifiedErrorId, $e.CategoryInfo.Category, $e.Exception.Message } }
            $singleErrors | Should -HaveCount 2
            ((& $errorShape $batchedErrors) -join '|') | Should -BeExactly ((& $errorShape $singleErrors) -join '|')
            foreach ($e in $batchedErrors) { $e.FullyQualifiedErrorId | Should -BeExactly 'Request_ResourceNotFound,Microsoft.Graph.PowerShell.Cmdlets.InvokeMgLicenseUser_LicenseViaIdentity' }

            # Every call went inside a $batch, each once.
            $sent.path -ccontains '/v1.0/$batch' | Should -BeTrue
            $calls = @($sent | Where-Object { $_.path.EndsWith('/reprocessLicenseAssignment', [System.StringComparison]::Ordinal) })
            $calls | Should -HaveCount $ids.Count
            foreach ($call in $calls) { $call.batch -is [System.Management.Automation.PSCustomObject] | Should -BeTrue }
            $expected = Get-Sorted ($ids | ForEach-Object { "/v1.0/users/$_/reprocessLicenseAssignment" })
            ((Get-Sorted $calls.path) -join '|') | Should -BeExactly ($expected -join '|')
        }

        It 'refuses -BatchSize <Size>, outside 1 to 20, before anything is sent' -ForEach @(
            @{ Size = 0 }
            @{ Size = 21 }
        ) {
            $mark = Get-RequestMark
            $output = @(); $errors = $caught = $null
            try { $null = Invoke-MgLicenseUser -UserId $TestUsers[0].id -BatchSize $Size -OutVariable output -ErrorVariable errors } catch { $caught = $_ }
            $sent = @(Get-RequestSince $mark)

            $sent | Should -HaveCount 0
            @($output) | Should -HaveCount 0
            $all = Get-AllError $errors $caught
            $all | Should -HaveCount 1
            $all[0].FullyQualifiedErrorId | Should -MatchExactly '^ParameterArgumentValidationError,'
            $all[0].Exception.Message | Should -MatchExactly 'BatchSize'
        }
    }

    Context 'connected with a token Graph does not know' {
        # Same shape and claims as a real token, but a signature the emulator did not make.
        BeforeAll { Connect-TestEmulator ((New-TestToken User.ReadWrite.All) + 'x') }
        AfterAll { Disconnect-MgGraph -ErrorAction Ignore | Out-Null }

        It 'is an InvalidAuthenticationToken error' {
            $output = @(); $errors = $caught = $null
            try { $null = Invoke-MgLicenseUser -UserId $TestUsers[0].id -OutVariable output -ErrorVariable errors 2>$null } catch { $caught = $_ }

            @($output) | Should -HaveCount 0
            $all = Get-AllError $errors $caught
            $all | Should -HaveCount 1
            $all[0].FullyQualifiedErrorId | Should -BeExactly 'InvalidAuthenticationToken,Microsoft.Graph.PowerShell.Cmdlets.InvokeMgLicenseUser_License'
            $all[0].Exception.Message | Should -MatchExactly ('^' + [regex]::Escape('[InvalidAuthenticationToken] : '))
            $all[0].ErrorDetails.Message | Should -MatchExactly ([regex]::Escape('Status: 401 (Unauthorized)'))
        }
    }

    Context 'not connected' {
        BeforeAll { Disconnect-MgGraph -ErrorAction Ignore | Out-Null }

        It 'asks for Connect-MgGraph and sends nothing' {
            $mark = Get-RequestMark
            $output = @(); $errors = $caught = $null
            try { $null = Invoke-MgLicenseUser -UserId $TestUsers[0].id -OutVariable output -ErrorVariable errors } catch { $caught = $_ }
            $sent = @(Get-RequestSince $mark)

            $sent | Should -HaveCount 0
            @($output) | Should -HaveCount 0
            $all = Get-AllError $errors $caught
            $all | Should -HaveCount 1
            $all[0].Exception.Message | Should -BeExactly 'Authentication needed. Please call Connect-MgGraph.'
            # As the official cmdlet writes it: ErrorRecord(ex, "", NotSpecified, null), not terminating.
            $caught | Should -BeNullOrEmpty
            $all[0].FullyQualifiedErrorId | Should -Not -Match ','
            $all[0].CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::NotSpecified)
        }

        It 'writes the error for each input, as the official cmdlet does, and sends nothing' {
            $mark = Get-RequestMark
            $caught = $null
            try { $null = @{UserId = 'a' }, @{UserId = 'b' }, @{UserId = 'c' } | Invoke-MgLicenseUser -ErrorVariable errors -ErrorAction SilentlyContinue } catch { $caught = $_ }

            $caught | Should -BeNullOrEmpty
            $all = Get-AllError $errors $caught
            $all | Should -HaveCount 3
            $all[0].Exception.Message | Should -BeExactly 'Authentication needed. Please call Connect-MgGraph.'
            @(Get-RequestSince $mark) | Should -HaveCount 0
        }
    }

    # -WhatIf speaks only to the host, so these run in a pwsh of their own and read its console.
    Context '-WhatIf, in a console' {
        It 'prints the official line and sends nothing' {
            # The whole console (output and errors) is the one line; nothing reached Graph while the child ran.
            $mark = Get-RequestMark
            $console = @(Invoke-ChildPwsh 'Invoke-MgLicenseUser -UserId $id -WhatIf' -Token (New-TestToken User.ReadWrite.All) -Variable @{ id = $TestUsers[0].id })
            $sent = @(Get-RequestSince $mark)

            $sent | Should -HaveCount 0
            $console | Should -HaveCount 1
            $console[0] | Should -BeExactly $WhatIfLine
        }

        It 'names the identity parameter set' {
            $console = @(Invoke-ChildPwsh "@{UserId = 'someone'} | Invoke-MgLicenseUser -WhatIf" -WithModule)

            $console | Should -HaveCount 1
            $console[0] | Should -BeExactly $WhatIfLine.Replace('Invoke-MgLicenseUser_License', 'Invoke-MgLicenseUser_LicenseViaIdentity')
        }
    }
}
