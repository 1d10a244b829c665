# The Windows PowerShell 5.1 checks this Linux machine can make (docs/windows-powershell.md):
#  1. the module's sources compile against the .NET Framework 4.7.2 reference assemblies (Desktop.csproj);
#  2. the netstandard2.0 MgLicense.dll the module ships runs its managed parts that need no PowerShell (JSON, the engine
#     through the C ABI against the emulator, certificate keys) under Mono (Check/), installing Debian's mono-runtime if
#     it is missing; on Windows under the .NET Framework itself.
# Prints "Desktop: N passed, N failed" last; exits non-zero on any failure.
param(
    [string] $Configuration = 'Release',
    [string] $Root = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
)
$ErrorActionPreference = 'Stop'

Write-Host '> dotnet build tests/Desktop/Desktop.csproj (net472 reference assemblies)'
dotnet build (Join-Path $PSScriptRoot 'Desktop.csproj') -c $Configuration -nologo -v quiet | Out-Host
if ($LASTEXITCODE) { Write-Output 'Desktop: 0 passed, 1 failed'; exit 1 }

# On Windows the .NET Framework runs it as it is; elsewhere Mono does.
if (-not $IsWindows -and -not (Get-Command mono -ErrorAction Ignore)) {
    Write-Host '> apt-get install mono-runtime'
    apt-get install -y -q mono-runtime libmono-system-net-http4.0-cil | Out-Host
}

dotnet build (Join-Path $PSScriptRoot 'Check/DesktopCheck.csproj') -c $Configuration -nologo -v quiet | Out-Host
if ($LASTEXITCODE) { Write-Output 'Desktop: 0 passed, 1 failed'; exit 1 }

# Mono finds a DllImport's library beside the assembly; the module's own runtimes/<rid>/native copy is the one shipped.
$bin = Join-Path $PSScriptRoot "Check/bin/$Configuration/net472"
Copy-Item (Get-ChildItem (Join-Path $Root 'out/MgLicense/runtimes/*/native/*mglicense_ffi*') | Select-Object -First 1) $bin
$emulator = Join-Path $Root "target/release/graph-emulator$(if ($IsWindows) { '.exe' })"
$check = Join-Path $bin 'MgLicense.DesktopCheck.exe'
if ($IsWindows) {
    & $check $emulator (Join-Path $Root 'tests/data/tenant.json')
} else {
    & mono $check $emulator (Join-Path $Root 'tests/data/tenant.json')
}
exit $LASTEXITCODE
