# Get-Help for the reprocess cmdlets: what a user reads comes from the MAML the build compiled from docs/cmdlets.

BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Emulator = Start-TestEmulator

    # The compiled help beside the module: the <command:command> of one cmdlet, and a namespace manager for XPath.
    $script:MamlPath = Join-Path (Split-Path $ModuleManifest) 'en-US' 'MgLicense.dll-Help.xml'
    function Get-MamlCommand([string] $Cmdlet) {
        if (-not (Test-Path $MamlPath)) { throw "$MamlPath is missing: the build compiles docs/cmdlets into it." }
        $document = [xml] (Get-Content -Raw $MamlPath)
        $script:Ns = [System.Xml.XmlNamespaceManager]::new($document.NameTable)
        $Ns.AddNamespace('command', 'http://schemas.microsoft.com/maml/dev/command/2004/10')
        $Ns.AddNamespace('maml', 'http://schemas.microsoft.com/maml/2004/10')
        $Ns.AddNamespace('dev', 'http://schemas.microsoft.com/maml/dev/2004/10')
        $commands = @($document.SelectNodes("/*/command:command[command:details/command:name = '$Cmdlet']", $Ns))
        $commands.Count | Should -Be 1 -Because "the MAML has one command named $Cmdlet"
        $commands[0]
    }

    # The paragraphs of a MAML description, one a line.
    function Get-Para($Description) { @($Description.SelectNodes('maml:para', $Ns) | ForEach-Object { $_.InnerText }) -join "`n" }

    # The non-blank lines of a text, trimmed: Get-Help separates paragraphs with a blank line, the MAML does not.
    function Get-TextLine([string] $Text) { @($Text.Replace("`r", '') -split "`n" | ForEach-Object { $_.Trim() } | Where-Object { $_.Length -gt 0 }) }
}

AfterAll { Stop-TestEmulator $script:Emulator }

Describe 'Get-Help' {
    It 'the help of <Cmdlet> documents every parameter it has, in every parameter set' -ForEach @(
        @{ Cmdlet = 'Update-MgUser' }
        @{ Cmdlet = 'Set-MgUserLicense' }
        @{ Cmdlet = 'New-MgGroupMember' }
        @{ Cmdlet = 'Remove-MgGroupMemberByRef' }
        @{ Cmdlet = 'Get-MgUserLicenseDetail' }
        @{ Cmdlet = 'Get-MgGroupMember' }
    ) {
        $maml = Get-MamlCommand $Cmdlet
        $documented = @($maml.SelectNodes('command:parameters/command:parameter/maml:name', $Ns) | ForEach-Object { $_.InnerText })
        $common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
        $declared = @((Get-Command $Cmdlet).Parameters.Keys | Where-Object { $_ -notin $common -or $_ -in 'WhatIf', 'Confirm' })
        Join-Sorted $documented | Should -BeExactly (Join-Sorted ($declared + 'ProgressAction'))
        $syntax = @($maml.SelectNodes('command:syntax/command:syntaxItem', $Ns)).Count
        $syntax | Should -Be @((Get-Command $Cmdlet).ParameterSets).Count
    }

    It 'Get-Help <Cmdlet> -Full gives the compiled help' -ForEach @(
        @{ Cmdlet = 'Invoke-MgLicenseUser'; Sets = 2 }
        @{ Cmdlet = 'Invoke-MgBetaLicenseUser'; Sets = 2 }
        @{ Cmdlet = 'Invoke-MgBetaReprocessUserCloudLicensingAssignment'; Sets = 2 }
        @{ Cmdlet = 'Invoke-MgBetaLicenseUser2'; Sets = 3 }
    ) {
        $maml = Get-MamlCommand $Cmdlet

        $h = Get-Help $Cmdlet -Full
        $help = @(
            $h.Synopsis
            ($h.description | ForEach-Object { $_.Text }) -join "`n"
            @($h.syntax.syntaxItem).Count
            (@($h.parameters.parameter) | ForEach-Object { '{0}:{1}:{2}' -f $_.name, $_.required, $_.pipelineInput }) -join ','
            (@($h.inputTypes.inputType) | ForEach-Object { $_.type.name }) -join ','
            (@($h.returnValues.returnValue) | ForEach-Object { $_.type.name }) -join ','
            (@($h.alertSet.alert) | ForEach-Object { $_.Text }) -join "`n"
            @($h.examples.example).Count
            (@($h.examples.example) | ForEach-Object { $_.code }) -join "`n"
        )
        $help.Count | Should -Be 9
        $help = @($help | ForEach-Object { "$_" })

        $help[0] | Should -BeExactly (Get-Para $maml.SelectSingleNode('command:details/maml:description', $Ns))
        (Get-TextLine $help[1]) -join "`n" | Should -BeExactly ((Get-TextLine (Get-Para $maml.SelectSingleNode('maml:description', $Ns))) -join "`n")
        $help[2] | Should -BeExactly "$Sets"

        $parameters = $help[3] -split ','
        foreach ($parameter in 'UserId:true:False', 'InputObject:true:True (ByValue)', 'Headers:false:True (ByValue)',
            'ResponseHeadersVariable:false:False', 'WhatIf:false:False', 'Confirm:false:False') {
            $parameters -ccontains $parameter | Should -BeTrue -Because "$parameter is among $($help[3])"
        }
        ($parameters | ForEach-Object { ($_ -split ':')[0] }) -join ',' |
            Should -BeExactly (@($maml.SelectNodes('command:parameters/command:parameter/maml:name', $Ns) | ForEach-Object { $_.InnerText }) -join ',')

        $help[4] -split ',' -ccontains 'MgLicense.Models.IUsersActionsIdentity' | Should -BeTrue -Because "the input types are $($help[4])"
        $help[5] | Should -BeExactly (@($maml.SelectNodes('command:returnValues/command:returnValue/dev:type/maml:name', $Ns) | ForEach-Object { $_.InnerText }) -join ',')
        $help[6] | Should -MatchExactly ([regex]::Escape('InputObject has null value for InputObject.UserId'))
        [int]::Parse($help[7]) | Should -BeGreaterOrEqual 2 -Because "$Cmdlet has $($help[7]) examples"
        $help[8] | Should -MatchExactly ([regex]::Escape($Cmdlet))
    }

    It 'Get-Help <Cmdlet> -Full prints every section' -ForEach @(
        @{ Cmdlet = 'Invoke-MgLicenseUser'; Sets = 2 }
        @{ Cmdlet = 'Invoke-MgBetaLicenseUser'; Sets = 2 }
        @{ Cmdlet = 'Invoke-MgBetaReprocessUserCloudLicensingAssignment'; Sets = 2 }
        @{ Cmdlet = 'Invoke-MgBetaLicenseUser2'; Sets = 3 }
        @{ Cmdlet = 'Update-MgUser'; Sets = 4 }
        @{ Cmdlet = 'Set-MgUserLicense'; Sets = 4 }
        @{ Cmdlet = 'New-MgGroupMember'; Sets = 4 }
        @{ Cmdlet = 'Remove-MgGroupMemberByRef'; Sets = 2 }
        @{ Cmdlet = 'Get-MgUserLicenseDetail'; Sets = 3 }
        @{ Cmdlet = 'Get-MgGroupMember'; Sets = 1 }
    ) {
        # As the console shows it, at the formatter's width for a host without a console of its own.
        [string[]] $lines = (Get-Help $Cmdlet -Full | Out-String -Width 120) -split '\r?\n'

        foreach ($heading in 'NAME', 'SYNOPSIS', 'SYNTAX', 'DESCRIPTION', 'PARAMETERS', 'INPUTS', 'OUTPUTS', 'NOTES') {
            $lines -ccontains $heading | Should -BeTrue -Because "the help shows the heading $heading"
        }

        $syntax = [Array]::IndexOf($lines, 'SYNTAX')
        $description = [Array]::IndexOf($lines, 'DESCRIPTION')
        $syntax | Should -BeLessThan $description
        @($lines[$syntax..($description - 1)] | Where-Object { $_.TrimStart().StartsWith("$Cmdlet -", [StringComparison]::Ordinal) }).Count | Should -Be $Sets
        @($lines | Where-Object { $_.Contains('Example 2') }).Count | Should -BeGreaterThan 0
        @($lines | Where-Object { $_.Trim() -ceq 'Accept pipeline input?       True (ByValue)' }).Count | Should -BeGreaterThan 0
    }
}
