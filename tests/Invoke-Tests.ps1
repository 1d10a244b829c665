<#
.SYNOPSIS
    Runs MgLicense's Pester suite (tests/*.Tests.ps1) in this PowerShell, against the Graph emulator.

.DESCRIPTION
    build.ps1 -Task Test runs it in the pinned pwsh on Linux; the Windows lane runs it in a win-x64
    pwsh under Wine with the Windows module and emulator. Results are written as NUnit XML; the
    last line is the count, which build.ps1 adds to its summary.

.EXAMPLE
    ./build.sh pwsh -File tests/Invoke-Tests.ps1 -Path tests/Headers.Tests.ps1 -Output Detailed
#>
[CmdletBinding()]
param(
    # The Pester module (Pester.psd1); by default the one tests/pester/Pester.csproj restored.
    [string] $PesterModule,
    # Test files or folders; by default every tests/*.Tests.ps1.
    [string[]] $Path = @($PSScriptRoot),
    [string] $ResultPath = (Join-Path $PSScriptRoot '../out/test-results/pester.xml'),
    # The module manifest and the emulator program the tests use (see tests/Common.ps1).
    [string] $ModuleManifest,
    [string] $Emulator,
    [ValidateSet('None', 'Normal', 'Detailed', 'Diagnostic')]
    [string] $Output = 'Normal',
    [string[]] $FullName
)

if (-not $PesterModule) {
    $packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path ([Environment]::GetFolderPath('UserProfile')) '.nuget/packages' }
    $PesterModule = Join-Path $packages 'pester/5.7.1/tools/Pester.psd1'
    # Elsewhere (a Windows machine running the packaged suite): an installed Pester 5.
    $installed = Get-Module Pester -ListAvailable | Where-Object { $_.Version.Major -eq 5 } | Sort-Object Version -Descending | Select-Object -First 1
    if (-not (Test-Path $PesterModule) -and $installed) { $PesterModule = $installed.Path }
}

if (-not (Test-Path $PesterModule)) {
    throw "Pester is not at ${PesterModule}: restore it first (dotnet restore tests/pester/Pester.csproj), or install Pester 5 (Install-PSResource Pester -Version '[5.7.1,6.0)')."
}

# Relative to PowerShell's location, which is not the process's current directory after a Set-Location.
function Get-FullPath([string] $Path) { $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Path) }
if ($ModuleManifest) { $env:MGLICENSE_TEST_MODULE = Get-FullPath $ModuleManifest }
if ($Emulator) { $env:MGLICENSE_TEST_EMULATOR = Get-FullPath $Emulator }
$env:POWERSHELL_TELEMETRY_OPTOUT = '1'
# What the module keeps for the user's next sessions (environments, the CurrentUser token cache) goes to a directory of
# this run's, never to the profile of whoever runs the tests; child pwsh processes inherit it.
$settingsDirectory = Join-Path ([System.IO.Path]::GetTempPath()) "mglicense-test-settings-$([guid]::NewGuid())"
$env:MGLICENSE_SETTINGS_DIRECTORY = $settingsDirectory

Import-Module $PesterModule -ErrorAction Stop
$configuration = New-PesterConfiguration
$configuration.Run.Path = $Path
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = $Output
$configuration.TestResult.Enabled = $true
$configuration.TestResult.OutputFormat = 'NUnitXml'
$configuration.TestResult.OutputPath = Get-FullPath $ResultPath
if ($FullName) { $configuration.Filter.FullName = $FullName }
$null = New-Item -ItemType Directory -Force -Path (Split-Path $configuration.TestResult.OutputPath.Value) -ErrorAction Stop

# From a module's scope, so that the tests see none of this script's variables (its parameters, its
# preferences): each test file starts as a script of its own would.
try {
    $result = & (New-Module -Name MgLicenseTestRun -ScriptBlock { }) { param($c) Invoke-Pester -Configuration $c } $configuration
} finally {
    Remove-Item -LiteralPath $settingsDirectory -Recurse -Force -ErrorAction SilentlyContinue
}
"Pester: $($result.PassedCount) passed, $($result.FailedCount) failed, $($result.SkippedCount) skipped, $($result.NotRunCount) not run, $($result.FailedContainersCount) files failed outside their tests"
if ($result.Result -ne 'Passed') { exit 1 }
