# Hostile and careless input at the PowerShell level: a malformed id among piped input is that input's
# error and the pipeline goes on; values with no faithful form (non-strings, a throwing ToString, unpaired
# surrogates) are refused by name before anything is sent for them; -ResponseHeadersVariable and
# -CountVariable names that cannot be set are refused before the first call.

BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Emulator = Start-TestEmulator
    if (-not ('MgLicense.Tests.UserWithBrokenExtra' -as [type])) {
        Add-Type -TypeDefinition @'
namespace MgLicense.Tests
{
    /// <summary>A .NET object whose identity is its Id, with another property whose getter throws.</summary>
    public sealed class UserWithBrokenExtra
    {
        public UserWithBrokenExtra(string id) { Id = id; }

        public string Id { get; }

        public string Manager => throw new System.InvalidOperationException("the manager lookup is offline");
    }
}
'@
    }

    # Runs a line as a user types it at the prompt: in the global scope of a runspace of its own, with
    # MgLicense imported (the connection is the process's) and -Variable set there first. What it wrote,
    # the errors it wrote, the error that stopped it, as Invoke-Captured gives them.
    function Invoke-AtPrompt([string] $Line, [hashtable] $Variable = @{}) {
        $shell = [powershell]::Create()
        try {
            $null = $shell.AddScript('param($manifest) Import-Module $manifest -ErrorAction Stop').AddArgument($ModuleManifest)
            $null = $shell.Invoke()
            if ($shell.HadErrors) { throw "importing $ModuleManifest failed: $($shell.Streams.Error -join '; ')" }
            $shell.Commands.Clear()
            foreach ($name in $Variable.Keys) { $shell.Runspace.SessionStateProxy.SetVariable($name, $Variable[$name]) }
            $null = $shell.AddScript($Line, $false)
            $terminating = $null
            $output = @(try { $shell.Invoke() } catch {
                    $e = $_.Exception
                    while ($e -isnot [System.Management.Automation.IContainsErrorRecord] -and $null -ne $e.InnerException) { $e = $e.InnerException }
                    $terminating = if ($e -is [System.Management.Automation.IContainsErrorRecord]) { $e.ErrorRecord } else { $_ }
                })
            $errors = @($shell.Streams.Error)
            [pscustomobject]@{
                Output      = $output
                Errors      = $errors
                Terminating = $terminating
                AllErrors   = @($errors) + @($terminating | Where-Object { $null -ne $_ })
                Warnings    = @($shell.Streams.Warning | ForEach-Object Message)
            }
        } finally {
            $shell.Runspace.Dispose()
            $shell.Dispose()
        }
    }

    $script:InvokeClass = Get-CmdletClass 'Invoke-MgLicenseUser'
    # A non-terminating error of piped input names the official variant, as the official cmdlet's errors do.
    $script:InvokeViaIdentityClass = Get-CmdletClass 'Invoke-MgLicenseUser' 'LicenseViaIdentity'
    $script:InvalidArgument = [System.Management.Automation.ErrorCategory]::InvalidArgument
}

AfterAll { Stop-TestEmulator $script:Emulator }

Describe 'Malformed ids in piped input' {
    BeforeAll { Connect-TestEmulator (New-TestToken User.ReadWrite.All) }

    It 'reports <Shown> among piped ids as its own error naming <Named>, and sends the rest' -ForEach @(
        @{ Shown = "' '"; Bad = { ' ' }; Named = 'UserId is empty' }
        @{ Shown = '"$($b)`t"'; Bad = { "$($b)`t" }; Named = 'U+0009' }
        @{ Shown = "('x' * 1025)"; Bad = { ('x' * 1025) }; Named = '1025 bytes' }
        @{ Shown = '"a`r`nb"'; Bad = { "a`r`nb" }; Named = 'U+000D' }
    ) {
        $a = $TestUsers[0].id; $b = $TestUsers[1].id; $c = $TestUsers[2].id
        $bad = & $Bad

        $mark = Get-RequestMark
        $caught = $null
        try { $all = @($a, $bad, $c | Invoke-MgLicenseUser 2>&1) } catch { $caught = $_ }
        $sent = @(Get-RequestSince $mark)

        $caught | Should -BeNullOrEmpty
        (Join-Sorted $sent.path) | Should -BeExactly (Join-Sorted ($a, $c | ForEach-Object { $ReprocessPaths['Invoke-MgLicenseUser'] -f $_ }))
        $all | Should -HaveCount 3
        $all[0].Id | Should -BeExactly $a
        $all[1] | Should -BeOfType [System.Management.Automation.ErrorRecord]
        $all[1].Exception.Message | Should -MatchExactly ([regex]::Escape($Named))
        $all[1].CategoryInfo.Category | Should -Be $InvalidArgument
        $all[1].FullyQualifiedErrorId | Should -BeExactly "InvalidArgument,$InvokeViaIdentityClass"
        $all[1].TargetObject.UserId | Should -BeExactly $bad -Because 'the target holds the operation''s parameters'
        $all[2].Id | Should -BeExactly $c
    }

    It 'reports a blank UserId of an identity object as its own error, with batches' {
        $a = $TestUsers[0].id; $c = $TestUsers[2].id
        $blank = @{ UserId = '   ' }

        $caught = $null
        try { $all = @(@{ UserId = $a }, $blank, @{ UserId = $c } | Invoke-MgLicenseUser -BatchSize 2 2>&1) } catch { $caught = $_ }

        $caught | Should -BeNullOrEmpty
        $all | Should -HaveCount 3
        $all[0].Id | Should -BeExactly $a
        $all[1] | Should -BeOfType [System.Management.Automation.ErrorRecord]
        $all[1].Exception.Message | Should -MatchExactly ([regex]::Escape('UserId is empty'))
        $all[1].TargetObject.UserId | Should -BeExactly $blank.UserId -Because 'the target holds the operation''s parameters'
        $all[2].Id | Should -BeExactly $c
    }

    It 'still stops the pipeline at an identity without a user, as the official cmdlet does' {
        $a = $TestUsers[0].id

        $mark = Get-RequestMark
        $result = Invoke-Captured { @{ DriveId = 'd' }, $a | Invoke-MgLicenseUser }
        $sent = @(Get-RequestSince $mark)

        # The pipeline stops at it: the user after it is not sent.
        $sent | Should -HaveCount 0
        $result.Output | Should -HaveCount 0
        $result.AllErrors | Should -HaveCount 1
        $result.AllErrors[0].Exception.Message | Should -BeExactly 'InputObject has null value for InputObject.UserId'
        $result.Terminating | Should -Not -BeNullOrEmpty
    }

    It 'names a tab id as a control character, not as empty' {
        $e = $null
        $all = @(Invoke-MgLicenseUser -UserId "`t" -ErrorAction SilentlyContinue -ErrorVariable e; $e)

        $all | Should -HaveCount 1
        $all[0] | Should -BeOfType [System.Management.Automation.ErrorRecord]
        $all[0].Exception.Message | Should -MatchExactly ([regex]::Escape('U+0009'))
        $all[0].Exception.Message | Should -Not -MatchExactly 'empty'
        $all[0].CategoryInfo.Category | Should -Be $InvalidArgument
    }
}

Describe 'Identity and header values with no faithful form' {
    BeforeAll { Connect-TestEmulator (New-TestToken User.ReadWrite.All) }

    It 'refuses UserId = <Shown> of an identity for that input only, naming <Named>' -ForEach @(
        @{ Shown = "@('x', 'y')"; Named = 'an array'; Script = { @{ UserId = @('x', 'y') }, @{ UserId = $c } | Invoke-MgLicenseUser 2>&1 } }
        @{ Shown = '@{ a = 1 }'; Named = 'a dictionary'; Script = { @{ UserId = @{ a = 1 } }, @{ UserId = $c } | Invoke-MgLicenseUser 2>&1 } }
        @{ Shown = "[datetime]'2026-01-01'"; Named = 'System.DateTime'; Script = { @{ UserId = [datetime]'2026-01-01' }, @{ UserId = $c } | Invoke-MgLicenseUser 2>&1 } }
        @{ Shown = "{ 'a script' }"; Named = 'a script block'; Script = { @{ UserId = { 'a script' } }, @{ UserId = $c } | Invoke-MgLicenseUser 2>&1 } }
        @{ Shown = '[pscustomobject]@{ a = 1 }'; Named = 'PSCustomObject'; Script = { @{ UserId = [pscustomobject]@{ a = 1 } }, @{ UserId = $c } | Invoke-MgLicenseUser 2>&1 } }
    ) {
        $c = $TestUsers[2].id

        $mark = Get-RequestMark
        $caught = $null
        try { $all = @(& $Script) } catch { $caught = $_ }
        $sent = @(Get-RequestSince $mark)

        $caught | Should -BeNullOrEmpty
        $sent | Should -HaveCount 1
        $sent[0].path | Should -BeExactly ($ReprocessPaths['Invoke-MgLicenseUser'] -f $c)
        $all | Should -HaveCount 2
        $all[0] | Should -BeOfType [System.Management.Automation.ErrorRecord]
        $all[0].Exception.Message | Should -MatchExactly ([regex]::Escape('InputObject.UserId must be a string'))
        $all[0].Exception.Message | Should -MatchExactly ([regex]::Escape($Named))
        $all[0].CategoryInfo.Category | Should -Be $InvalidArgument
        $all[0].FullyQualifiedErrorId | Should -BeExactly "InvalidArgument,$InvokeViaIdentityClass"
        $all[0].TargetObject | Should -BeOfType [hashtable]
        $all[1].Id | Should -BeExactly $c
    }

    It 'refuses a one-element array as UserId rather than unwrap it' {
        $a = $TestUsers[0].id

        $mark = Get-RequestMark
        $caught = $null
        try { $all = @(@{ UserId = @($a) } | Invoke-MgLicenseUser 2>&1) } catch { $caught = $_ }
        $sent = @(Get-RequestSince $mark)

        $caught | Should -BeNullOrEmpty
        $sent | Should -HaveCount 0
        $all | Should -HaveCount 1
        $all[0] | Should -BeOfType [System.Management.Automation.ErrorRecord]
        $all[0].Exception.Message | Should -MatchExactly ([regex]::Escape('an array'))
    }

    It 'refuses the header value <Shown>, naming the header and <Named>, and sends nothing' -ForEach @(
        @{ Shown = '@{ a = 1 }'; Named = 'a dictionary'; Script = { Invoke-MgLicenseUser -UserId $a -Headers @{ 'X-Note' = @{ a = 1 } } } }
        @{ Shown = "@('a', 'b')"; Named = 'an array'; Script = { Invoke-MgLicenseUser -UserId $a -Headers @{ 'X-Note' = @('a', 'b') } } }
        @{ Shown = "{ 'a script' }"; Named = 'a script block'; Script = { Invoke-MgLicenseUser -UserId $a -Headers @{ 'X-Note' = { 'a script' } } } }
        @{ Shown = "[datetime]'2026-01-01'"; Named = 'System.DateTime'; Script = { Invoke-MgLicenseUser -UserId $a -Headers @{ 'X-Note' = [datetime]'2026-01-01' } } }
    ) {
        $a = $TestUsers[0].id

        $mark = Get-RequestMark
        $result = Invoke-Captured $Script
        $sent = @(Get-RequestSince $mark)

        $sent | Should -HaveCount 0
        $result.Output | Should -HaveCount 0
        $result.AllErrors | Should -HaveCount 1
        $result.AllErrors[0].Exception.Message | Should -MatchExactly ([regex]::Escape("'X-Note'"))
        $result.AllErrors[0].Exception.Message | Should -MatchExactly ([regex]::Escape($Named))
        $result.AllErrors[0].CategoryInfo.Category | Should -Be $InvalidArgument
        $result.AllErrors[0].FullyQualifiedErrorId | Should -BeExactly "InvalidArgument,$InvokeClass"
    }

    It 'still sends numbers, booleans and null in -Headers as text' {
        $a = $TestUsers[0].id

        $mark = Get-RequestMark
        $result = Invoke-Captured { $null = Invoke-MgLicenseUser -UserId $a -Headers @{ 'x-count' = 7; 'x-flag' = $true; 'x-none' = $null } }
        $sent = @(Get-RequestSince $mark)

        $result.AllErrors | Should -HaveCount 0
        $sent | Should -HaveCount 1
        Get-SentHeader $sent[0] 'x-count' | Should -BeExactly '7'
        Get-SentHeader $sent[0] 'x-flag' | Should -BeExactly 'True'
        $none = Get-SentHeader $sent[0] 'x-none'
        $none | Should -BeOfType [string]
        $none | Should -BeExactly ''
    }
}

Describe 'Only the identity keys of an input are read' {
    BeforeAll { Connect-TestEmulator (New-TestToken User.ReadWrite.All) }

    It 'goes on when another property''s ToString throws' {
        $a = $TestUsers[0].id; $b = $TestUsers[1].id

        $mark = Get-RequestMark
        $result = Invoke-Captured {
            $v = [pscustomobject]@{}; $v.psobject.Methods.Add([psscriptmethod]::new('ToString', { throw 'TS-BOOM' }))
            [pscustomobject]@{ UserId = $a; Extra = $v }, $b | Invoke-MgLicenseUser
        }
        $sent = @(Get-RequestSince $mark)

        $result.Terminating | Should -BeNullOrEmpty
        $result.Errors | Should -HaveCount 0
        $result.Output | Should -HaveCount 2
        ($result.Output.Id -join '|') | Should -BeExactly "$a|$b"
        $sent | Should -HaveCount 2
    }

    It 'never reads another property whose getter throws' {
        $a = $TestUsers[0].id

        $mark = Get-RequestMark
        $result = Invoke-Captured { [MgLicense.Tests.UserWithBrokenExtra]::new($a) | Invoke-MgLicenseUser }
        $sent = @(Get-RequestSince $mark)

        $result.AllErrors | Should -HaveCount 0
        $result.Output | Should -HaveCount 1
        $result.Output[0].Id | Should -BeExactly $a
        $sent | Should -HaveCount 1
        $sent[0].path | Should -BeExactly ($ReprocessPaths['Invoke-MgLicenseUser'] -f $a)
    }

    It 'refuses an identity key whose ToString throws by name, without calling it' {
        $v = [pscustomobject]@{}; $v.psobject.Methods.Add([psscriptmethod]::new('ToString', { throw 'TS-BOOM' }))

        $mark = Get-RequestMark
        $caught = $null
        try { $all = @(@{ UserId = $v } | Invoke-MgLicenseUser 2>&1) } catch { $caught = $_ }
        $sent = @(Get-RequestSince $mark)

        $sent | Should -HaveCount 0
        $caught | Should -BeNullOrEmpty
        $all | Should -HaveCount 1
        $all[0] | Should -BeOfType [System.Management.Automation.ErrorRecord]
        $all[0].Exception.Message | Should -MatchExactly ([regex]::Escape('InputObject.UserId must be a string'))
        $all[0].Exception.Message | Should -Not -MatchExactly 'TS-BOOM'
        $all[0].CategoryInfo.Category | Should -Be $InvalidArgument
    }

    It 'refuses a header value whose ToString throws, naming the header' {
        $a = $TestUsers[0].id

        $mark = Get-RequestMark
        $result = Invoke-Captured {
            $v = [pscustomobject]@{}; $v.psobject.Methods.Add([psscriptmethod]::new('ToString', { throw 'TS-BOOM' }))
            Invoke-MgLicenseUser -UserId $a -Headers @{ 'X-A' = $v }
        }
        $sent = @(Get-RequestSince $mark)

        $sent | Should -HaveCount 0
        $result.AllErrors | Should -HaveCount 1
        $result.AllErrors[0].Exception.Message | Should -MatchExactly ([regex]::Escape("'X-A'"))
        $result.AllErrors[0].CategoryInfo.Category | Should -Be $InvalidArgument
    }
}

# Typed at the prompt: in the global scope $MaximumHistoryCount and $ErrorActionPreference are PowerShell's
# own, which cannot hold a dictionary; in a function's scope the same names would make a new variable of
# the function's, which PowerShell allows.
Describe 'Variables the cmdlets cannot set' {
    BeforeAll { Connect-TestEmulator (New-TestToken User.ReadWrite.All) }

    It 'refuses -ResponseHeadersVariable <Name> before anything is sent' -ForEach @(
        @{ Name = 'PID' }
        @{ Name = 'true' }
        @{ Name = 'Host' }
        @{ Name = 'Error' }
        @{ Name = '?' }
        @{ Name = 'using:x' }
        @{ Name = 'MaximumHistoryCount' }
        @{ Name = 'ErrorActionPreference' }
    ) {
        $mark = Get-RequestMark
        $result = Invoke-AtPrompt '$a, $b | Invoke-MgLicenseUser -ResponseHeadersVariable $name' @{ a = $TestUsers[0].id; b = $TestUsers[1].id; name = $Name }
        $sent = @(Get-RequestSince $mark)

        $sent | Should -HaveCount 0
        $result.Output | Should -HaveCount 0
        $result.AllErrors | Should -HaveCount 1
        $result.AllErrors[0].Exception.Message | Should -MatchExactly ([regex]::Escape("-ResponseHeadersVariable '$Name'"))
        $result.AllErrors[0].CategoryInfo.Category | Should -Be $InvalidArgument
        $result.AllErrors[0].FullyQualifiedErrorId | Should -BeExactly "InvalidOutputVariable,$InvokeClass"
        $result.AllErrors[0].TargetObject | Should -BeExactly $Name
    }

    It 'refuses a read-only -CountVariable before anything is read' {
        $mark = Get-RequestMark
        $result = Invoke-AtPrompt 'Get-MgUser -Top 1 -CountVariable PID -ConsistencyLevel eventual'
        $sent = @(Get-RequestSince $mark)

        $sent | Should -HaveCount 0
        $result.AllErrors | Should -HaveCount 1
        $result.AllErrors[0].Exception.Message | Should -MatchExactly ([regex]::Escape("-CountVariable 'PID'"))
        $result.AllErrors[0].FullyQualifiedErrorId | Should -BeExactly "InvalidOutputVariable,$(Get-CmdletClass 'Get-MgUser')"
    }

    It 'still sets a -ResponseHeadersVariable with a scope' {
        $a = $TestUsers[0].id
        Remove-Variable -Name hardeningRh -Scope Global -ErrorAction Ignore
        try {
            $result = Invoke-Captured { $null = Invoke-MgLicenseUser -UserId $a -RHV global:hardeningRh; $global:hardeningRh.Count -gt 0 }
        } finally {
            Remove-Variable -Name hardeningRh -Scope Global -ErrorAction Ignore
        }

        $result.AllErrors | Should -HaveCount 0
        $result.Output | Should -HaveCount 1
        $result.Output[0] | Should -BeOfType [bool]
        $result.Output[0] | Should -BeTrue
    }
}

Describe 'Unpaired surrogates' {
    BeforeAll { Connect-TestEmulator (New-TestToken User.ReadWrite.All) }

    It 'refuses a lone surrogate in -UserId and sends nothing' {
        $mark = Get-RequestMark
        $result = Invoke-Captured { Invoke-MgLicenseUser -UserId "a$([char]0xD800)b" }
        $sent = @(Get-RequestSince $mark)

        $sent | Should -HaveCount 0
        $result.AllErrors | Should -HaveCount 1
        $result.AllErrors[0].Exception.Message | Should -MatchExactly ([regex]::Escape('-UserId'))
        $result.AllErrors[0].Exception.Message | Should -MatchExactly ([regex]::Escape('U+D800'))
        $result.AllErrors[0].CategoryInfo.Category | Should -Be $InvalidArgument
    }

    It 'reports a lone surrogate in a piped id as that input''s error, and sends the rest' {
        $c = $TestUsers[2].id

        $mark = Get-RequestMark
        $caught = $null
        try { $all = @("a$([char]0xDC01)", @{ UserId = "b$([char]0xD801)" }, $c | Invoke-MgLicenseUser 2>&1) } catch { $caught = $_ }
        $sent = @(Get-RequestSince $mark)

        $caught | Should -BeNullOrEmpty
        $sent | Should -HaveCount 1
        $sent[0].path | Should -BeExactly ($ReprocessPaths['Invoke-MgLicenseUser'] -f $c)
        $all | Should -HaveCount 3
        $all[0] | Should -BeOfType [System.Management.Automation.ErrorRecord]
        $all[0].Exception.Message | Should -MatchExactly ([regex]::Escape('U+DC01'))
        $all[1] | Should -BeOfType [System.Management.Automation.ErrorRecord]
        $all[1].Exception.Message | Should -MatchExactly ([regex]::Escape('InputObject.UserId'))
        $all[2].Id | Should -BeExactly $c
    }

    It 'refuses a lone surrogate in -Filter and reads nothing' {
        $mark = Get-RequestMark
        $result = Invoke-Captured { Get-MgUser -Filter "displayName eq '$([char]0xD800)'" }
        $sent = @(Get-RequestSince $mark)

        $sent | Should -HaveCount 0
        $result.AllErrors | Should -HaveCount 1
        $result.AllErrors[0].Exception.Message | Should -MatchExactly ([regex]::Escape('-Filter'))
    }
}
