<#
.SYNOPSIS
    Runs Pester test files in this PowerShell and prints "pester: N passed, N failed, N skipped".
    build/windows/cross.sh runs it in the win-x64 pwsh under Wine.
#>
param(
    [Parameter(Mandatory)] [string] $PesterModule,
    [Parameter(Mandatory)] [string[]] $Path,
    [string] $ResultPath
)

$ErrorActionPreference = 'Stop'
Import-Module $PesterModule
$configuration = New-PesterConfiguration
$configuration.Run.Path = $Path
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
if ($ResultPath) {
    $configuration.TestResult.Enabled = $true
    $configuration.TestResult.OutputFormat = 'NUnitXml'
    $configuration.TestResult.OutputPath = $ResultPath
}
$result = Invoke-Pester -Configuration $configuration
"pester: $($result.PassedCount) passed, $($result.FailedCount) failed, $($result.SkippedCount) skipped"
exit ([int] ($result.Result -ne 'Passed'))
