# The module as Import-Module and Get-Command present it: what it exports and how its syntax reads.

BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Emulator = Start-TestEmulator

    # MgLicense's additions to the official parameters (pipeline concurrency and batching, waiting for processing).
    $script:Extension = ' [-ThrottleLimit <int>] [-BatchSize <int>] [-Wait] [-TimeoutSec <int>]'
    # The parameters every generated cmdlet of the SDK has (AutoRest declares them DontShow, and the seed's help page
    # leaves them out; the SDK's reference pages list them). -HttpPipelineAppend and -Prepend take the SDK's
    # SendAsyncStep[], which MgLicense has not: they are Object[] here (tests/SdkCommonParameters.Tests.ps1).
    $script:Generated = ' [-Break] [-HttpPipelineAppend <Object[]>] [-HttpPipelinePrepend <Object[]>] [-Proxy <uri>] [-ProxyCredential <pscredential>] [-ProxyUseDefaultCredentials]'

    # What Get-Command -Syntax prints, one line per parameter set, blank lines dropped.
    function Get-SyntaxLine([string] $Name) {
        ((Get-Command $Name -Syntax -ErrorAction Stop) -join "`n") -split "`n" | ForEach-Object { $_.TrimEnd("`r") } | Where-Object { $_.Length -gt 0 }
    }
}

AfterAll { Stop-TestEmulator $script:Emulator }

Describe 'The module' {
    It 'exports the cmdlets, and only cmdlets and the official aliases' {
        $commands = @(Get-Command -Module MgLicense -CommandType Cmdlet)

        Join-Sorted $commands.Name | Should -BeExactly (@(
                'Add-MgEnvironment', 'Connect-MgGraph', 'Disconnect-MgGraph', 'Get-MgContext', 'Get-MgEnvironment',
                'Get-MgGroup', 'Get-MgGroupMember', 'Get-MgGroupMemberWithLicenseError', 'Get-MgRequestContext', 'Get-MgSubscribedSku', 'Get-MgUser',
                'Get-MgUserLicenseDetail', 'Install-MgLicenseCompatibilityModule', 'Invoke-MgBetaLicenseUser', 'Invoke-MgBetaLicenseUser2',
                'Invoke-MgBetaReprocessUserCloudLicensingAssignment', 'Invoke-MgGraphRequest', 'Invoke-MgLicenseUser', 'New-MgGroupMember',
                'Remove-MgEnvironment', 'Remove-MgGroupMemberByRef', 'Set-MgEnvironment', 'Set-MgRequestContext', 'Set-MgUserLicense', 'Update-MgUser'
            ) -join ',')
        # Besides the cmdlets, only the official aliases: Connect-Graph, Disconnect-Graph, Invoke-GraphRequest.
        $others = @(Get-Command -Module MgLicense | Where-Object CommandType -NE ([System.Management.Automation.CommandTypes]::Cmdlet))
        Join-Sorted ($others | ForEach-Object { '{0}:{1}' -f $_.CommandType, $_.Name }) |
            Should -BeExactly 'Alias:Connect-Graph,Alias:Disconnect-Graph,Alias:Invoke-GraphRequest'
    }

    It 'can be imported twice' {
        # In a pwsh of its own, so that this process keeps the module it imported.
        $lines = @(Invoke-ChildPwsh -Command 'Import-Module $env:MGLICENSE_TEST_MODULE -ErrorAction Stop; Import-Module $env:MGLICENSE_TEST_MODULE -Force -ErrorAction Stop; (Get-Command Invoke-MgLicenseUser).Name')

        $lines -join "`n" | Should -BeExactly 'Invoke-MgLicenseUser'
    }
}

Describe 'Syntax' {
    It 'Invoke-MgLicenseUser has the official help''s syntax, with MgLicense''s additions' {
        # The two SYNTAX blocks of the official help page of Invoke-MgLicenseUser (learn.microsoft.com, Microsoft.Graph.Users.Actions), each joined onto one line. Two differences are the
        # PowerShell 7 console's, not MgLicense's: -ProgressAction is a common parameter from 7.4 on, so Get-Command
        # folds it into [<CommonParameters>], and type names that have accelerators print in lower case (<string>).
        $seed = @(
            'Invoke-MgLicenseUser -UserId <String> [-ResponseHeadersVariable <String>] [-Headers <IDictionary>] [-ProgressAction <ActionPreference>] [-WhatIf] [-Confirm] [<CommonParameters>]'
            'Invoke-MgLicenseUser -InputObject <IUsersActionsIdentity> [-ResponseHeadersVariable <String>] [-Headers <IDictionary>] [-ProgressAction <ActionPreference>] [-WhatIf] [-Confirm] [<CommonParameters>]'
        )
        $lines = @(Get-SyntaxLine Invoke-MgLicenseUser)

        # Our additions may extend the official syntax, never change it: without them it is the seed's, exactly.
        $lines.Count | Should -BeGreaterThan 0
        foreach ($line in $lines) { $line.Contains($Extension) -and $line.Contains($Generated) | Should -BeTrue -Because $line }
        ($lines | ForEach-Object { $_.Replace($Extension, '').Replace($Generated, '') }) -join "`n" |
            Should -BeExactly (($seed | ForEach-Object { $_.Replace(' [-ProgressAction <ActionPreference>]', '').Replace('<String>', '<string>') }) -join "`n")
    }

    It '<Cmdlet> has its help page''s syntax, with MgLicense''s additions' -ForEach @(
        @{ Cmdlet = 'Invoke-MgBetaLicenseUser'; Expected = @(
                'Invoke-MgBetaLicenseUser -UserId <string> [-ResponseHeadersVariable <string>] [-Headers <IDictionary>] [-WhatIf] [-Confirm] [<CommonParameters>]'
                'Invoke-MgBetaLicenseUser -InputObject <IUsersActionsIdentity> [-ResponseHeadersVariable <string>] [-Headers <IDictionary>] [-WhatIf] [-Confirm] [<CommonParameters>]')
        }
        @{ Cmdlet = 'Invoke-MgBetaReprocessUserCloudLicensingAssignment'; Expected = @(
                'Invoke-MgBetaReprocessUserCloudLicensingAssignment -UserId <string> [-ResponseHeadersVariable <string>] [-Headers <IDictionary>] [-PassThru] [-WhatIf] [-Confirm] [<CommonParameters>]'
                'Invoke-MgBetaReprocessUserCloudLicensingAssignment -InputObject <IUsersActionsIdentity> [-ResponseHeadersVariable <string>] [-Headers <IDictionary>] [-PassThru] [-WhatIf] [-Confirm] [<CommonParameters>]')
        }
        @{ Cmdlet = 'Invoke-MgBetaLicenseUser2'; Expected = @(
                'Invoke-MgBetaLicenseUser2 -UserId <string> [-ResponseHeadersVariable <string>] [-Headers <IDictionary>] [-WhatIf] [-Confirm] [<CommonParameters>]'
                'Invoke-MgBetaLicenseUser2 -InputObject <IUsersActionsIdentity> [-ResponseHeadersVariable <string>] [-Headers <IDictionary>] [-WhatIf] [-Confirm] [<CommonParameters>]'
                'Invoke-MgBetaLicenseUser2 -Me [-ResponseHeadersVariable <string>] [-Headers <IDictionary>] [-WhatIf] [-Confirm] [<CommonParameters>]')
        }
    ) {
        $lines = @(Get-SyntaxLine $Cmdlet)

        $lines.Count | Should -BeGreaterThan 0
        foreach ($line in $lines) { $line.Contains($Extension) -and $line.Contains($Generated) | Should -BeTrue -Because $line }
        ($lines | ForEach-Object { $_.Replace($Extension, '').Replace($Generated, '') }) -join "`n" | Should -BeExactly ($Expected -join "`n")
    }
}

Describe 'Parameters' {
    It '<Cmdlet> binds its parameters as the seed''s PARAMETERS section says' -ForEach @(
        @{ Cmdlet = 'Invoke-MgLicenseUser'; UserSet = 'License'; IdentitySet = 'LicenseViaIdentity' }
        @{ Cmdlet = 'Invoke-MgBetaLicenseUser'; UserSet = 'License'; IdentitySet = 'LicenseViaIdentity' }
        @{ Cmdlet = 'Invoke-MgBetaReprocessUserCloudLicensingAssignment'; UserSet = 'Reprocess'; IdentitySet = 'ReprocessViaIdentity' }
        @{ Cmdlet = 'Invoke-MgBetaLicenseUser2'; UserSet = 'License'; IdentitySet = 'LicenseViaIdentity' }
    ) {
        $command = Get-Command $Cmdlet -ErrorAction Stop
        # One line per parameter and set: name, set, mandatory, position, ByValue, ByPropertyName, aliases, type.
        $lines = @(foreach ($name in 'UserId', 'InputObject', 'Headers', 'ResponseHeadersVariable', 'WhatIf', 'Confirm') {
                $parameter = $command.Parameters[$name]
                foreach ($set in $parameter.ParameterSets.Keys) {
                    $a = $parameter.ParameterSets[$set]
                    '{0}|{1}|{2}|{3}|{4}|{5}|{6}|{7}' -f $name, $set, $a.IsMandatory, $a.Position, $a.ValueFromPipeline, $a.ValueFromPipelineByPropertyName, ($parameter.Aliases -join ','), $parameter.ParameterType.Name
                }
            })

        $command.DefaultParameterSet | Should -BeExactly $UserSet
        foreach ($line in "UserId|$UserSet|True|-2147483648|False|False||String",
            "InputObject|$IdentitySet|True|-2147483648|True|False||IUsersActionsIdentity",
            'Headers|__AllParameterSets|False|-2147483648|True|False||IDictionary',
            'ResponseHeadersVariable|__AllParameterSets|False|-2147483648|False|False|RHV|String',
            'WhatIf|__AllParameterSets|False|-2147483648|False|False|wi|SwitchParameter',
            'Confirm|__AllParameterSets|False|-2147483648|False|False|cf|SwitchParameter') {
            $lines -ccontains $line | Should -BeTrue -Because "$line is among: $($lines -join '; ')"
        }
        @($lines | Where-Object { $_.StartsWith('UserId|', [StringComparison]::Ordinal) }).Count | Should -Be 1
        @($lines | Where-Object { $_.StartsWith('InputObject|', [StringComparison]::Ordinal) }).Count | Should -Be 1
    }

    It 'the output types are the SDK''s names' {
        $types = foreach ($name in 'Invoke-MgLicenseUser', 'Invoke-MgBetaLicenseUser', 'Invoke-MgBetaLicenseUser2', 'Invoke-MgBetaReprocessUserCloudLicensingAssignment') {
            (Get-Command $name -ErrorAction Stop).OutputType.Name
        }

        $types -join ',' | Should -BeExactly (@(
                'Microsoft.Graph.PowerShell.Models.IMicrosoftGraphUser'
                'Microsoft.Graph.Beta.PowerShell.Models.IMicrosoftGraphUser'
                'Microsoft.Graph.Beta.PowerShell.Models.IMicrosoftGraphUser'
                'System.Boolean'
            ) -join ',')
    }

    It '-Me of Invoke-MgBetaLicenseUser2 is a mandatory switch of its own set' {
        $me = (Get-Command Invoke-MgBetaLicenseUser2 -ErrorAction Stop).Parameters['Me']

        $me.ParameterType.Name | Should -BeExactly 'SwitchParameter'
        $me.ParameterSets.Keys -join ',' | Should -BeExactly 'Me'
        $me.ParameterSets['Me'].IsMandatory | Should -BeExactly $true
    }
}
