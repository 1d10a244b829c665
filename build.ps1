#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests and packages MgLicense.

.DESCRIPTION
      Build    cargo builds the C ABI library and the Graph emulator, dotnet the module and its help;
               out/MgLicense/ is laid out as PowerShell loads it.
      Test     Build, then every suite: rustfmt and clippy, cargo test, the C ABI test program
               (under valgrind on Linux), the help compiler's tests, the Pester suite (tests/*.Tests.ps1)
               in a pwsh of its own, the xunit tests that need a custom host, the emulator against the
               Graph .NET SDK, and the benchmark's build. Every suite runs; the last line sums them.
               On Linux the Windows x64 lanes run under Wine too (docs/windows.md); on Windows the same
               suites run natively (the C ABI program needs cl, gcc or clang on PATH, or is skipped).
      Package  Build, then out/MgLicense.<version>.nupkg (PowerShell Gallery) and out/MgLicense-<version>.zip, both
               runtimes in one module; signed on Windows with -CertificatePath/-CertificatePassword or
               -CertificateThumbprint (build/Package.ps1).
      Clean    Remove out/ and target/.

    ./build.sh runs this script in the pinned pwsh (.config/dotnet-tools.json) after installing what
    the machine lacks. When MGLICENSE_CARGO_CONFIG names a file, every cargo call gets
    `--config <file>` (build.sh sets it to Debian's crate source where crates.io cannot be reached).

.EXAMPLE
    ./build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Package', 'Clean')]
    [string] $Task = 'Build',

    [string] $Configuration = 'Release',

    # Package: Authenticode-sign the module with a PFX (and its password) or a certificate in the store (Windows only).
    [string] $CertificatePath,
    [securestring] $CertificatePassword,
    [string] $CertificateThumbprint
)

$ErrorActionPreference = 'Stop'
$PSNativeCommandUseErrorActionPreference = $true

$Root = $PSScriptRoot
$OutDir = Join-Path $Root 'out'
$ModuleOut = Join-Path $OutDir 'MgLicense'
$ModuleSource = Join-Path $Root 'module/MgLicense'
$ResultsDir = Join-Path $OutDir 'test-results'
$TargetDir = if ($env:CARGO_TARGET_DIR) { [System.IO.Path]::GetFullPath($env:CARGO_TARGET_DIR, $Root) } else { Join-Path $Root 'target' }
$CargoRelease = Join-Path $TargetDir 'release'
$Exe = if ($IsWindows) { '.exe' } else { '' }
$Emulator = Join-Path $CargoRelease "graph-emulator$Exe"
$NativeLibrary = if ($IsWindows) { 'mglicense_ffi.dll' } elseif ($IsMacOS) { 'libmglicense_ffi.dylib' } else { 'libmglicense_ffi.so' }

function Write-Step([string] $Message) { Write-Host "`n==> $Message" }

# cargo <subcommand> [--config <file>] <arguments>: after the subcommand, where clippy sees it too.
function Invoke-Cargo([string] $Subcommand) {
    $config = if ($env:MGLICENSE_CARGO_CONFIG -and $Subcommand -ne 'fmt') { '--config', $env:MGLICENSE_CARGO_CONFIG }
    Write-Host "> cargo $Subcommand $($args -join ' ')"
    & cargo $Subcommand @config @args
}

# The runtime identifier as NuGet lays out native assets; the module looks for the same one.
function Get-RuntimeIdentifier {
    $arch = switch ([System.Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture) {
        'X64' { 'x64' }
        'Arm64' { 'arm64' }
        default { throw "MgLicense is not built for the $_ architecture." }
    }

    $os = if ($IsWindows) { 'win' } elseif ($IsMacOS) { 'osx' } else { 'linux' }
    "$os-$arch"
}

function Invoke-Build {
    Write-Step 'The C ABI library and the Graph emulator (cargo)'
    Invoke-Cargo build --release -p mglicense-ffi -p graph-emulator

    Write-Step "The module (dotnet, $Configuration)"
    dotnet build (Join-Path $ModuleSource 'MgLicense.csproj') -c $Configuration -nologo -v quiet

    Write-Step "Laying out $ModuleOut"
    if (Test-Path $ModuleOut) { Remove-Item -Recurse -Force $ModuleOut }
    $native = New-Item -ItemType Directory -Force (Join-Path $ModuleOut "runtimes/$(Get-RuntimeIdentifier)/native")
    Copy-Item (Join-Path $ModuleSource 'MgLicense.psd1'), (Join-Path $ModuleSource 'MgLicense.format.ps1xml'), (Join-Path $ModuleSource 'MgLicense.types.ps1xml') $ModuleOut
    Copy-Item (Join-Path $ModuleSource "bin/$Configuration/netstandard2.0/MgLicense.dll") $ModuleOut
    Copy-Item (Join-Path $CargoRelease $NativeLibrary) $native

    # The help is authored as markdown in docs/cmdlets and compiled to MAML for Get-Help.
    dotnet run --project (Join-Path $Root 'tools/HelpCompiler') -c $Configuration -- (Join-Path $Root 'docs/cmdlets') (Join-Path $ModuleOut 'en-US/MgLicense.dll-Help.xml')

    if (-not (Test-Path $Emulator)) { throw "cargo build did not produce $Emulator." }

    # The same engine for Windows x64, cross-built here (docs/windows.md); MGLICENSE_WINDOWS=0 skips it.
    if ($IsLinux -and $env:MGLICENSE_WINDOWS -ne '0') {
        Write-Step 'The Windows x64 library (build/windows/cross.sh)'
        bash (Join-Path $Root 'build/windows/cross.sh') build | Out-Host
    }

    Get-ChildItem -Recurse -File $ModuleOut | ForEach-Object { Write-Host "  $([System.IO.Path]::GetRelativePath($OutDir, $_.FullName))" }
}

# ---- test suites: each returns its counts; a failure is reported and the others still run --------

function Get-Count([int] $Passed = 0, [int] $Failed = 0, [int] $Skipped = 0) {
    [pscustomobject]@{ Passed = $Passed; Failed = $Failed; Skipped = $Skipped }
}

# Runs a native command, its output shown as it comes and kept for the counts; a failure is the
# suite's (Get-Count -Lines), so its counts are not lost with it.
function Invoke-Shown([scriptblock] $Command) {
    $PSNativeCommandUseErrorActionPreference = $false
    $lines = [System.Collections.Generic.List[string]]::new()
    & $Command 2>&1 | ForEach-Object { $line = "$_"; $lines.Add($line); Write-Host $line }
    $script:ShownExitCode = $LASTEXITCODE
    $lines
}

# The counts of a command run by Invoke-Shown, from the lines matching $Pattern (passed, failed and
# optionally skipped as groups 1-3); a non-zero exit with no failure counted is one failure.
function Get-ShownCount([string[]] $Lines, [string] $Pattern) {
    $count = Get-Count
    foreach ($match in ($Lines | Select-String $Pattern).Matches) {
        $count.Passed += [int] $match.Groups[1].Value
        $count.Failed += [int] $match.Groups[2].Value
        if ($match.Groups[3].Success) { $count.Skipped += [int] $match.Groups[3].Value }
    }

    if ($script:ShownExitCode -ne 0 -and $count.Failed -eq 0) { $count.Failed = 1 }
    $count
}

function Test-RustStyle {
    Invoke-Cargo fmt --all --check | Out-Host
    Invoke-Cargo clippy --release --workspace --all-targets '--' -D warnings | Out-Host
    Get-Count -Passed 2
}

function Test-Cargo {
    $lines = Invoke-Shown { Invoke-Cargo test --release --workspace }
    Get-ShownCount $lines 'test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored'
}

# Misuse of the ABI must not corrupt memory or leak: on Linux the program runs under valgrind and fails
# on any invalid access or definite or indirect leak (the engine's runtime is kept for the life of the
# process on purpose, so "still reachable" blocks are expected).
function Test-Abi {
    $include = Join-Path $Root 'crates/mglicense-ffi/include'
    $source = Join-Path $Root 'tests/c/abi_test.c'
    $seed = Join-Path $Root 'tests/data/tenant.json'
    if ($IsWindows) { return Test-AbiOnWindows $include $source $seed }

    $program = Join-Path $OutDir 'c/abi_test'
    $null = New-Item -ItemType Directory -Force (Split-Path $program)
    cc -std=c11 -O1 -Wall -Wextra -Werror -I $include $source -o $program -L $CargoRelease -lmglicense_ffi "-Wl,-rpath,$CargoRelease" | Out-Host
    $lines = if ($IsLinux) {
        if (-not (Get-Command valgrind -ErrorAction Ignore)) { throw 'valgrind is not on PATH: on Linux the C ABI test runs under it (apt-get install valgrind).' }
        Invoke-Shown { valgrind --quiet --error-exitcode=9 --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect $program $Emulator $seed }
    } else {
        Invoke-Shown { & $program $Emulator $seed }
    }

    Get-AbiCount $lines
}

# On Windows: cl (from a Developer PowerShell for Visual Studio), else gcc or clang on PATH, linked against the
# import library cargo wrote beside the DLL (mglicense_ffi.dll.lib for the MSVC target, libmglicense_ffi.dll.a for
# the GNU one). Windows has no rpath: the DLL is copied beside the program, where Windows looks first. Without a
# compiler the suite is reported skipped, saying why. (No valgrind there.)
function Test-AbiOnWindows([string] $Include, [string] $Source, [string] $Seed) {
    $dir = (New-Item -ItemType Directory -Force (Join-Path $OutDir 'c')).FullName
    $program = Join-Path $dir 'abi_test.exe'
    $importLibrary = @('mglicense_ffi.dll.lib', 'libmglicense_ffi.dll.a') | ForEach-Object { Join-Path $CargoRelease $_ } |
        Where-Object { Test-Path $_ } | Select-Object -First 1
    if (-not $importLibrary) { throw "cargo wrote no import library for $NativeLibrary in $CargoRelease." }

    $compiler = Get-Command cl, gcc, clang -CommandType Application -ErrorAction Ignore | Select-Object -First 1
    if (-not $compiler) {
        Write-Host 'SKIPPED: no C compiler on PATH (cl in a Developer PowerShell for Visual Studio, or gcc or clang): the C ABI test program (tests/c/abi_test.c) was not run. The Rust tests of the C ABI (cargo test -p mglicense-ffi) still ran.'
        return Get-Count -Skipped 1
    }

    Copy-Item (Join-Path $CargoRelease $NativeLibrary) $dir
    if ($compiler.Name -in 'cl', 'cl.exe') {
        & $compiler.Source /nologo /std:c11 /W3 /I $Include $Source "/Fe:$program" "/Fo:$dir\" $importLibrary ws2_32.lib | Out-Host
    } else {
        & $compiler.Source -std=c11 -O1 -Wall -Wextra -I $Include $Source -o $program $importLibrary -lws2_32 | Out-Host
    }

    Get-AbiCount (Invoke-Shown { & $program $Emulator $Seed })
}

# The program's last "N passed, N failed" line.
function Get-AbiCount([string[]] $Lines) {
    Get-ShownCount ($Lines | Select-String '^\d+ passed, \d+ failed$' | Select-Object -Last 1 | ForEach-Object Line) '^(\d+) passed, (\d+) failed$'
}

# dotnet test with its results as TRX in out/test-results, counted from there.
function Test-Dotnet([string] $Project, [string] $Name) {
    $trx = Join-Path $ResultsDir "$Name.trx"
    if (Test-Path $trx) { Remove-Item $trx }
    try {
        dotnet test (Join-Path $Root $Project) -c $Configuration --nologo --logger "trx;LogFileName=$trx" --results-directory $ResultsDir | Out-Host
    } finally {
        if (Test-Path $trx) {
            $counters = ([xml] (Get-Content -Raw $trx)).TestRun.ResultSummary.Counters
            $script:LastCount = Get-Count -Passed $counters.passed -Failed $counters.failed -Skipped ([int] $counters.total - [int] $counters.executed)
        }
    }

    $script:LastCount
}

# The Pester suite in a pwsh of its own, as a user runs the module: the same pwsh as this build.
function Test-Pester {
    dotnet restore (Join-Path $Root 'tests/pester/Pester.csproj') -v quiet | Out-Host
    $xml = Join-Path $ResultsDir 'pester.xml'
    if (Test-Path $xml) { Remove-Item $xml }
    $pwsh = Join-Path $PSHOME "pwsh$Exe"
    try {
        & $pwsh -NoProfile -NonInteractive -File (Join-Path $Root 'tests/Invoke-Tests.ps1') -ResultPath $xml -ModuleManifest (Join-Path $ModuleOut 'MgLicense.psd1') -Emulator $Emulator | Out-Host
    } finally {
        if (Test-Path $xml) {
            $results = ([xml] (Get-Content -Raw $xml))['test-results']
            $script:LastCount = Get-Count -Passed ([int] $results.total - [int] $results.failures - [int] $results.errors) -Failed ([int] $results.failures + [int] $results.errors) -Skipped ([int] $results.'not-run' + [int] $results.skipped + [int] $results.ignored)
        }
    }

    $script:LastCount
}

# One Windows lane under Wine (build/windows/cross.sh test-c, test-rust, test-pwsh), counted from the
# "N passed, N failed[, N ignored|skipped]" lines it prints.
function Test-Windows([string] $Lane) {
    $lines = Invoke-Shown { bash (Join-Path $Root 'build/windows/cross.sh') $Lane }
    $pattern = if ($Lane -eq 'test-rust') { 'test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored' } else { '(?:^|\s)(\d+) passed, (\d+) failed(?:, (\d+) skipped)?' }
    Get-ShownCount $lines $pattern
}

# Windows PowerShell 5.1's runtime as far as Linux shows it: net472 compile, the shipped dll under Mono (docs/windows-powershell.md).
function Test-Desktop {
    $lines = Invoke-Shown { & (Join-Path $PSHOME "pwsh$Exe") -NoProfile -NonInteractive -File (Join-Path $Root 'tests/Desktop/Test-Desktop.ps1') -Configuration $Configuration }
    Get-ShownCount $lines '^Desktop: (\d+) passed, (\d+) failed$'
}

function Test-BenchBuild {
    dotnet build (Join-Path $Root 'bench/MgLicense.Bench/MgLicense.Bench.csproj') -c $Configuration -nologo -v quiet | Out-Host
    Get-Count -Passed 1
}

function Invoke-Test {
    Invoke-Build
    $null = New-Item -ItemType Directory -Force $ResultsDir

    $suites = [ordered]@{
        'Rust style (rustfmt, clippy)'                     = { Test-RustStyle }
        'Rust tests (cargo test)'                          = { Test-Cargo }
        'C ABI test program (tests/c)'                     = { Test-Abi }
        'Help compiler tests'                              = { Test-Dotnet 'tools/HelpCompiler.Tests/HelpCompiler.Tests.csproj' 'help-compiler' }
        'PowerShell tests (Pester, tests/*.Tests.ps1)'     = { Test-Pester }
        'PowerShell host tests (xunit, tests/MgLicense.Tests)' = { Test-Dotnet 'tests/MgLicense.Tests/MgLicense.Tests.csproj' 'host' }
        'Emulator against the Graph .NET SDK'              = { Test-Dotnet 'tests/Emulator.Tests/Emulator.Tests.csproj' 'emulator' }
        'Benchmark program builds'                         = { Test-BenchBuild }
        'Windows PowerShell 5.1 runtime (net472 compile, Mono)' = { Test-Desktop }
    }

    if ($IsLinux -and $env:MGLICENSE_WINDOWS -ne '0') {
        $suites['Windows x64: C ABI test program under Wine'] = { Test-Windows test-c }
        $suites['Windows x64: Rust tests under Wine'] = { Test-Windows test-rust }
        $suites['Windows x64: PowerShell tests under Wine'] = { Test-Windows test-pwsh }
    }

    $rows = foreach ($name in $suites.Keys) {
        Write-Step $name
        $script:LastCount = $null
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        try {
            $count = & $suites[$name] | Select-Object -Last 1
            $ok = $count.Failed -eq 0
        } catch {
            Write-Host "FAILED: $($_.Exception.Message)"
            $count = if ($script:LastCount) { $script:LastCount } else { Get-Count }
            if ($count.Failed -eq 0) { $count.Failed = 1 }   # a suite that could not run counts as one failure
            $ok = $false
        }

        [pscustomobject]@{ Suite = $name; Result = $(if ($ok) { 'passed' } else { 'FAILED' }); Passed = $count.Passed; Failed = $count.Failed; Skipped = $count.Skipped; Seconds = [int] $clock.Elapsed.TotalSeconds }
    }

    Write-Step 'Summary'
    $rows | Format-Table -AutoSize | Out-String -Width 200 | Write-Host
    $total = $rows | Measure-Object Passed, Failed, Skipped -Sum
    $failedSuites = @($rows | Where-Object Result -ne 'passed').Count
    $script:Summary = "tests: $($total[0].Sum) passed, $($total[1].Sum) failed, $($total[2].Sum) skipped, in $($rows.Count) suites ($failedSuites failed)"
    if ($failedSuites) { throw $script:Summary }
}

# One module for every platform (both engines), signed where it can be, as a Gallery .nupkg and a .zip: build/Package.ps1.
function Invoke-Package {
    Invoke-Build
    Write-Step 'Packaging out/MgLicense (build/Package.ps1)'
    $signing = @{ CertificatePath = $CertificatePath; CertificatePassword = $CertificatePassword; CertificateThumbprint = $CertificateThumbprint }
    $crossTarget = if ($env:MGLICENSE_WINDOWS_TARGET_DIR) { $env:MGLICENSE_WINDOWS_TARGET_DIR } else { Join-Path $TargetDir 'windows' }
    $windowsEmulator = if ($IsWindows) { $Emulator } else { Join-Path $crossTarget 'x86_64-pc-windows-gnu/release/graph-emulator.exe' }
    & (Join-Path $Root 'build/Package.ps1') -ModuleDir $ModuleOut -OutDir $OutDir -WindowsEmulator $windowsEmulator @signing
}

function Invoke-Clean {
    foreach ($dir in $OutDir, $TargetDir) {
        if (Test-Path $dir) {
            Write-Step "Removing $dir"
            Remove-Item -Recurse -Force $dir
        }
    }
}

Push-Location $Root
$clock = [System.Diagnostics.Stopwatch]::StartNew()
$Summary = $null
try {
    & "Invoke-$Task"
    Write-Host "`n$Task succeeded in $([int] $clock.Elapsed.TotalSeconds) s."
} finally {
    Pop-Location
    if ($Summary) { Write-Host $Summary }
}
