# Every shape of identity a user pipes or passes to -InputObject, for each reprocess cmdlet, checked
# against what the emulator was sent.

BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Emulator = Start-TestEmulator

    if (-not ('MgLicense.Tests.UserReference' -as [type])) {
        Add-Type -TypeDefinition @'
namespace MgLicense.Tests
{
    /// <summary>A .NET object with an identity property, as another module's output might be.</summary>
    public sealed class UserReference
    {
        public UserReference(string userId) { UserId = userId; }

        public string UserId { get; }

        public string Note => "not an identity key";
    }

    /// <summary>An object whose property getter throws, like a lazy-loading proxy whose source is gone.</summary>
    public sealed class BrokenUser
    {
        public string DisplayName => "Broken";

        public string UserId => throw new System.InvalidOperationException("the directory cache is offline");
    }
}
'@
    }
}

AfterAll { Stop-TestEmulator $script:Emulator }

Describe 'Identities' {
    BeforeAll { Connect-TestEmulator (New-TestToken User.ReadWrite.All) }

    It 'reprocesses exactly the user named by: <Shape>' -ForEach @(
        @{ Shape = 'hashtable'; Script = { @{ UserId = $id } | Invoke-MgLicenseUser } }
        @{ Shape = 'hashtable, other case'; Script = { @{ USERID = $id } | Invoke-MgLicenseUser } }
        @{ Shape = 'ordered dictionary'; Script = { [ordered]@{ DriveId = 'd'; userId = $id } | Invoke-MgLicenseUser } }
        @{ Shape = 'generic dictionary'; Script = { $d = [System.Collections.Generic.Dictionary[string, object]]::new(); $d['UserId'] = $id; Invoke-MgLicenseUser -InputObject $d } }
        @{ Shape = 'PSCustomObject'; Script = { [pscustomobject]@{ userid = $id; Other = 1 } | Invoke-MgLicenseUser } }
        @{ Shape = '.NET object'; Script = { [MgLicense.Tests.UserReference]::new($id) | Invoke-MgLicenseUser } }
        @{ Shape = 'object with Id only (Get-MgUser)'; Script = { [pscustomobject]@{ Id = $id; DisplayName = 'Someone' } | Invoke-MgLicenseUser } }
        @{ Shape = 'plain string from the pipeline'; Script = { $id | Invoke-MgLicenseUser } }
        @{ Shape = 'plain string to -InputObject'; Script = { Invoke-MgLicenseUser -InputObject $id } }
    ) {
        $id = $TestUsers[1].id

        $mark = Get-RequestMark
        $run = Invoke-Captured $Script
        $sent = @(Get-RequestSince $mark)

        $run.AllErrors | Should -HaveCount 0 -Because "$Shape`: $($run.AllErrors -join '; ')"
        $run.Output | Should -HaveCount 1
        $run.Output[0].Id | Should -BeExactly $id
        $sent | Should -HaveCount 1
        $sent[0].path | Should -BeExactly ($ReprocessPaths['Invoke-MgLicenseUser'] -f $id)
    }

    It '<Cmdlet> takes hashtables, objects and strings, in order' -ForEach @(
        @{ Cmdlet = 'Invoke-MgLicenseUser' }
        @{ Cmdlet = 'Invoke-MgBetaLicenseUser' }
        @{ Cmdlet = 'Invoke-MgBetaReprocessUserCloudLicensingAssignment' }
        @{ Cmdlet = 'Invoke-MgBetaLicenseUser2' }
    ) {
        $ids = $TestUsers[0].id, $TestUsers[1].id, $TestUsers[2].id

        $mark = Get-RequestMark
        $output = @(@{ UserId = $ids[0] }, [pscustomobject]@{ Id = $ids[1] }, $ids[2] | & $Cmdlet -ErrorVariable errors)
        $sent = @(Get-RequestSince $mark)

        $errors | Should -HaveCount 0
        $expected = Get-Sorted ($ids | ForEach-Object { $ReprocessPaths[$Cmdlet] -f $_ })
        $actual = Get-Sorted $sent.path
        $actual | Should -HaveCount 3
        ($actual -join '|') | Should -BeExactly ($expected -join '|')
        if ($Cmdlet -eq 'Invoke-MgBetaReprocessUserCloudLicensingAssignment') {
            $output | Should -HaveCount 0
        } else {
            $output | Should -HaveCount 3
            foreach ($o in $output) { $o.Id | Should -BeOfType [string] }
            ($output.Id -join '|') | Should -BeExactly ($ids -join '|')
        }
    }

    It '<Cmdlet> stops at an identity without a user with the official terminating error' -ForEach @(
        @{ Cmdlet = 'Invoke-MgLicenseUser' }
        @{ Cmdlet = 'Invoke-MgBetaLicenseUser' }
        @{ Cmdlet = 'Invoke-MgBetaReprocessUserCloudLicensingAssignment' }
        @{ Cmdlet = 'Invoke-MgBetaLicenseUser2' }
    ) {
        $a = $TestUsers[0].id

        $mark = Get-RequestMark
        $output = @(try { @{ DriveId = 'x'; MessageId = 'y' }, @{ UserId = $a } | & $Cmdlet } catch { 'caught'; $_ })
        $sent = @(Get-RequestSince $mark)

        $sent | Should -HaveCount 0
        $output.Count | Should -BeGreaterOrEqual 2
        $output[0] | Should -BeExactly 'caught'
        $output[1] | Should -BeOfType [System.Management.Automation.ErrorRecord]
        $output[1].Exception.Message | Should -BeExactly 'InputObject has null value for InputObject.UserId'
        $output[1].CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::InvalidArgument)
        $output[1].FullyQualifiedErrorId | Should -BeExactly ('InvalidArgument,' + (Get-CmdletClass $Cmdlet))
    }

    It 'does not also send a piped identity hashtable as headers' {
        $mark = Get-RequestMark
        $null = @{ UserId = $TestUsers[0].id; 'x-not-a-header' = 'identity key' } | Invoke-MgLicenseUser -ErrorVariable errors
        $sent = @(Get-RequestSince $mark)

        $errors | Should -HaveCount 0
        $sent | Should -HaveCount 1
        $names = @(Get-SentHeaderName $sent[0])
        $names -ccontains 'userid' | Should -BeFalse
        $names -ccontains 'x-not-a-header' | Should -BeFalse
    }

    It 'sends a piped headers dictionary with -UserId as headers' {
        # -Headers takes pipeline input by value, as the official parameter does.
        $mark = Get-RequestMark
        $null = @{ 'x-piped-header' = 'yes' } | Invoke-MgLicenseUser -UserId $TestUsers[0].id -ErrorVariable errors
        $sent = @(Get-RequestSince $mark)

        $errors | Should -HaveCount 0
        $sent | Should -HaveCount 1
        Get-SentHeader $sent[0] 'x-piped-header' | Should -BeExactly 'yes'
    }

    It 'names a property that cannot be read, and sends nothing for it' {
        $id = $TestUsers[0].id

        $mark = Get-RequestMark
        $caught = $null
        try { $output = @([MgLicense.Tests.BrokenUser]::new(), @{ UserId = $id } | Invoke-MgLicenseUser -ErrorVariable errors 2>$null) } catch { $caught = $_ }
        $sent = @(Get-RequestSince $mark)

        $caught | Should -BeNullOrEmpty
        $sent | Should -HaveCount 1
        $sent[0].path | Should -BeExactly ($ReprocessPaths['Invoke-MgLicenseUser'] -f $id)
        $output | Should -HaveCount 1
        $output[0].Id | Should -BeExactly $id
        $errors | Should -HaveCount 1
        $errors[0] | Should -BeOfType [System.Management.Automation.ErrorRecord]
        $errors[0].Exception.Message | Should -MatchExactly ([regex]::Escape("'UserId'"))
        $errors[0].Exception.Message | Should -MatchExactly ([regex]::Escape('the directory cache is offline'))
        $errors[0].CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::InvalidArgument)
        $errors[0].TargetObject.GetType() | Should -Be ([MgLicense.Tests.BrokenUser])
    }

    It 'names a script property that throws' {
        $o = [pscustomobject]@{ DisplayName = 'x' }
        $o.psobject.Properties.Add([psscriptproperty]::new('UserId', { throw 'lookup failed' }))

        $mark = Get-RequestMark
        $output = @(); $errors = $caught = $null
        try { $null = $o | Invoke-MgLicenseUser -OutVariable output -ErrorVariable errors 2>$null } catch { $caught = $_ }
        $sent = @(Get-RequestSince $mark)

        $sent | Should -HaveCount 0
        @($output) | Should -HaveCount 0
        $all = Get-AllError $errors $caught
        $all | Should -HaveCount 1
        $all[0].Exception.Message | Should -MatchExactly ([regex]::Escape("'UserId'"))
        $all[0].Exception.Message | Should -MatchExactly ([regex]::Escape('lookup failed'))
    }

    It 'gives one output or one error for each input, in input order' {
        $ids = $TestUsers[0].id, '00000000-0000-0000-0000-00000000dea1', $TestUsers[1].id, '00000000-0000-0000-0000-00000000dea2', $TestUsers[2].id

        $caught = $null
        try { $output = @($ids | ForEach-Object { @{ UserId = $_ } } | Invoke-MgLicenseUser 2>&1) } catch { $caught = $_ }

        $caught | Should -BeNullOrEmpty
        $output | Should -HaveCount 5
        for ($i = 0; $i -lt $ids.Count; $i++) {
            if ($i % 2 -eq 0) {
                $output[$i].Id | Should -BeExactly $ids[$i]
            } else {
                $output[$i] | Should -BeOfType [System.Management.Automation.ErrorRecord]
                $output[$i].Exception.Message | Should -MatchExactly ([regex]::Escape($ids[$i]))
            }
        }
    }

    # The identity objects of tests/data/bad-input.json whose values a PowerShell hashtable carries as
    # they are (scalars and nulls), as -InputObject: each reaches exactly its path or is refused with
    # its text and nothing is sent.
    It 'sends each corpus identity object to exactly its user, or refuses it' {
        $corpus = [System.Text.Json.JsonDocument]::Parse((Get-Content -Raw (Join-Path $RepoRoot 'tests/data/bad-input.json')))
        try {
            $cases = @($corpus.RootElement.GetProperty('identities').EnumerateArray() | Where-Object {
                    $identity = $_.GetProperty('identity')
                    $identity.ValueKind -eq [System.Text.Json.JsonValueKind]::Object -and
                    @($identity.EnumerateObject() | Where-Object { $_.Value.ValueKind -in 'Object', 'Array' }).Count -eq 0
                })
            $cases.Count | Should -BeGreaterOrEqual 12 -Because "only $($cases.Count) corpus identities are hashtable-shaped"

            foreach ($c in $cases) {
                # Keys that differ only in case cannot share a Hashtable; an ordinal one keeps them apart as an IDictionary would.
                $identity = [hashtable]::new([System.StringComparer]::Ordinal)
                foreach ($p in $c.GetProperty('identity').EnumerateObject()) {
                    $identity[$p.Name] = switch ($p.Value.ValueKind) {
                        'String' { $p.Value.GetString() }
                        'Number' { $p.Value.GetInt64() }
                        'True' { $true }
                        'False' { $false }
                        default { $null }
                    }
                }

                $what = $c.GetRawText()
                $mark = Get-RequestMark
                $errors = $null
                $output = @(try { Invoke-MgLicenseUser -InputObject $identity -ErrorVariable errors 2>$null } catch { $_ })
                $sent = @(Get-RequestSince $mark)
                $refused = @($c.EnumerateObject() | Where-Object { $_.Name -ceq 'refused' } | ForEach-Object { $_.Value })
                if ($refused.Count -gt 0) {
                    $sent | Should -HaveCount 0 -Because "$what was refused"
                    $refusal = @(@($output | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }) + @($errors | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }))[0]
                    $refusal | Should -Not -BeNullOrEmpty -Because "$what was refused"
                    $refusal.Exception.Message | Should -MatchExactly ([regex]::Escape($refused[0].GetString())) -Because $what
                    $refusal.CategoryInfo.Category | Should -Be ([System.Management.Automation.ErrorCategory]::InvalidArgument) -Because $what
                } else {
                    $sent | Should -HaveCount 1 -Because "$what names one user"
                    $sent[0].path | Should -BeExactly $c.GetProperty('path').GetString() -Because $what
                }
            }
        } finally {
            $corpus.Dispose()
        }
    }
}
