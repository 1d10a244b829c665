#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests, demonstrates and packages MgLicense.

.DESCRIPTION
    The one build script. It runs under pwsh on Windows, Linux and macOS, and under the minimal
    host in tools/MgLicenseHost (mglhost) on machines without pwsh, so it uses only the
    Microsoft.PowerShell.Core cmdlets, .NET calls and native commands.

      Build    cargo builds the C ABI library and the Graph emulator; dotnet builds the module;
               out/MgLicense/ is laid out as PowerShell loads it.
      Test     Build, then cargo test, the committed header against cbindgen, the C ABI test
               program, and the PowerShell-level tests (tests/MgLicense.Tests).
      Demo     Build, then walk the sample tenant (examples/tenant) on the emulator as an admin
               would: find the users in license error, fix the causes, reprocess them from the
               pipeline, and show their license states before and after.
      Package  Build, then zip out/MgLicense into out/MgLicense-<version>-<rid>.zip.
      Clean    Remove out/ and target/.

    When MGLICENSE_CARGO_CONFIG names a file, every cargo call gets `--config <file>` (build.sh
    sets it to the Debian crate source on machines that cannot reach crates.io).

.EXAMPLE
    ./build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Demo', 'Package', 'Clean')]
    [string] $Task = 'Build',

    [string] $Configuration = 'Release'
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
# Native failures are checked by exit code below, with a message that names the command.
$PSNativeCommandUseErrorActionPreference = $false

$Root = $PSScriptRoot
$OutDir = [System.IO.Path]::Combine($Root, 'out')
$ModuleOut = [System.IO.Path]::Combine($OutDir, 'MgLicense')
$ModuleSource = [System.IO.Path]::Combine($Root, 'module', 'MgLicense')
$TargetDir = if ($env:CARGO_TARGET_DIR) { [System.IO.Path]::GetFullPath($env:CARGO_TARGET_DIR, $Root) } else { [System.IO.Path]::Combine($Root, 'target') }
$CargoRelease = [System.IO.Path]::Combine($TargetDir, 'release')
$FfiDir = [System.IO.Path]::Combine($Root, 'crates', 'mglicense-ffi')
$SeedFile = [System.IO.Path]::Combine($Root, 'tests', 'data', 'tenant.json')
$SampleTenant = [System.IO.Path]::Combine($Root, 'examples', 'tenant', 'tenant.json')
$Summary = $null

# ---- helpers -----------------------------------------------------------------------------------

function Write-Step([string] $Message) {
    $Host.UI.WriteLine('')
    $Host.UI.WriteLine("==> $Message")
}

function Join-Segments {
    [System.IO.Path]::Combine([string[]] $args)
}

function Test-File([string] $Path) { [System.IO.File]::Exists($Path) }

function Test-Directory([string] $Path) { [System.IO.Directory]::Exists($Path) }

function Test-OnPath([string] $Name) {
    $null -ne (Get-Command -Name $Name -CommandType Application -ErrorAction Ignore)
}

# Runs a native command from $WorkingDirectory with its output passing straight through, and
# throws with the command line when it exits non-zero.
function Invoke-Native {
    param(
        [Parameter(Mandatory)] [string] $FilePath,
        [string[]] $ArgumentList = @(),
        [string] $WorkingDirectory = $Root
    )

    $shown = (@($FilePath) + $ArgumentList | ForEach-Object { if ($_ -match '\s') { "'$_'" } else { $_ } }) -join ' '
    if (-not (Test-File $FilePath) -and -not (Test-OnPath $FilePath)) {
        throw "Cannot run '$shown': '$FilePath' is not on PATH."
    }

    $Host.UI.WriteLine("> $shown")
    $previous = $ExecutionContext.SessionState.Path.CurrentFileSystemLocation.Path
    $null = $ExecutionContext.SessionState.Path.SetLocation($WorkingDirectory)
    try {
        & $FilePath @ArgumentList
    } finally {
        $null = $ExecutionContext.SessionState.Path.SetLocation($previous)
    }

    if ($LASTEXITCODE -ne 0) {
        throw "'$shown' failed with exit code $LASTEXITCODE."
    }
}

function Get-CargoConfigArguments {
    $file = $env:MGLICENSE_CARGO_CONFIG
    if ([string]::IsNullOrEmpty($file)) {
        return
    }

    if (-not (Test-File $file)) {
        throw "MGLICENSE_CARGO_CONFIG names '$file', which does not exist."
    }

    '--config'
    $file
}

function Invoke-Cargo([string[]] $ArgumentList) {
    Invoke-Native -FilePath 'cargo' -ArgumentList (@(Get-CargoConfigArguments) + $ArgumentList)
}

# The runtime identifier as NuGet lays out native assets; the module looks for the same one.
function Get-RuntimeIdentifier {
    $arch = switch ([System.Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture.ToString()) {
        'X64' { 'x64' }
        'Arm64' { 'arm64' }
        default { throw "MgLicense is not built for the $_ architecture." }
    }

    if ([System.OperatingSystem]::IsWindows()) { return "win-$arch" }
    if ([System.OperatingSystem]::IsMacOS()) { return "osx-$arch" }
    if ([System.OperatingSystem]::IsLinux()) { return "linux-$arch" }
    throw 'MgLicense is built for Windows, Linux and macOS only.'
}

function Get-NativeLibraryName {
    if ([System.OperatingSystem]::IsWindows()) { return 'mglicense_ffi.dll' }
    if ([System.OperatingSystem]::IsMacOS()) { return 'libmglicense_ffi.dylib' }
    'libmglicense_ffi.so'
}

function Get-EmulatorPath {
    Join-Segments $CargoRelease $(if ([System.OperatingSystem]::IsWindows()) { 'graph-emulator.exe' } else { 'graph-emulator' })
}

function Get-ModuleVersion {
    $manifest = Join-Segments $ModuleSource 'MgLicense.psd1'
    $errors = $null
    $ast = [System.Management.Automation.Language.Parser]::ParseFile($manifest, [ref] $null, [ref] $errors)
    if ($errors) {
        throw "Cannot read $manifest`: $($errors[0].Message)"
    }

    $data = $ast.Find({ param($node) $node -is [System.Management.Automation.Language.HashtableAst] }, $false).SafeGetValue()
    [string] $data['ModuleVersion']
}

function Copy-FileTo([string] $Source, [string] $Destination) {
    $null = [System.IO.Directory]::CreateDirectory([System.IO.Path]::GetDirectoryName($Destination))
    [System.IO.File]::Copy($Source, $Destination, $true)
}

function Copy-DirectoryTo([string] $Source, [string] $Destination) {
    foreach ($file in [System.IO.Directory]::GetFiles($Source, '*', [System.IO.SearchOption]::AllDirectories)) {
        Copy-FileTo $file (Join-Segments $Destination ([System.IO.Path]::GetRelativePath($Source, $file)))
    }
}

function Remove-Directory([string] $Path) {
    if (Test-Directory $Path) {
        [System.IO.Directory]::Delete($Path, $true)
    }
}

# ---- tasks -------------------------------------------------------------------------------------

function Invoke-Build {
    Write-Step 'Building the C ABI library and the Graph emulator (cargo)'
    Invoke-Cargo @('build', '--release', '-p', 'mglicense-ffi', '-p', 'graph-emulator')

    Write-Step "Building the module (dotnet, $Configuration)"
    Invoke-Native -FilePath 'dotnet' -ArgumentList @('build', (Join-Segments $ModuleSource 'MgLicense.csproj'), '-c', $Configuration)

    Write-Step "Laying out $ModuleOut"
    $assemblyDir = Join-Segments $ModuleSource 'bin' $Configuration 'net8.0'
    $assembly = Join-Segments $assemblyDir 'MgLicense.dll'
    if (-not (Test-File $assembly)) {
        throw "dotnet build did not produce $assembly."
    }

    $rid = Get-RuntimeIdentifier
    $library = Join-Segments $CargoRelease (Get-NativeLibraryName)
    if (-not (Test-File $library)) {
        throw "cargo build did not produce $library."
    }

    Remove-Directory $ModuleOut
    Copy-FileTo (Join-Segments $ModuleSource 'MgLicense.psd1') (Join-Segments $ModuleOut 'MgLicense.psd1')
    Copy-FileTo $assembly (Join-Segments $ModuleOut 'MgLicense.dll')
    if (Test-File (Join-Segments $ModuleSource 'MgLicense.format.ps1xml')) {
        Copy-FileTo (Join-Segments $ModuleSource 'MgLicense.format.ps1xml') (Join-Segments $ModuleOut 'MgLicense.format.ps1xml')
    }

    # The help is authored as markdown in docs/cmdlets and compiled to MAML for Get-Help.
    Invoke-Native -FilePath 'dotnet' -ArgumentList @('run', '--project', (Join-Segments $Root 'tools' 'HelpCompiler'), '-c', $Configuration, '--',
        (Join-Segments $Root 'docs' 'cmdlets'), (Join-Segments $ModuleOut 'en-US' 'MgLicense.dll-Help.xml'))

    Copy-FileTo $library (Join-Segments $ModuleOut 'runtimes' $rid 'native' (Get-NativeLibraryName))

    foreach ($file in [System.IO.Directory]::GetFiles($ModuleOut, '*', [System.IO.SearchOption]::AllDirectories)) {
        $Host.UI.WriteLine('  ' + [System.IO.Path]::GetRelativePath($OutDir, $file))
    }

    if (-not (Test-File (Get-EmulatorPath))) {
        throw "cargo build did not produce $(Get-EmulatorPath)."
    }

    $Host.UI.WriteLine('  emulator: ' + [System.IO.Path]::GetRelativePath($Root, (Get-EmulatorPath)))

    # Windows x64 hook (docs/windows.md): cross-builds mglicense_ffi.dll into out/MgLicense/runtimes/win-x64/native.
    if ([System.OperatingSystem]::IsLinux()) { Invoke-Native -FilePath 'bash' -ArgumentList @((Join-Segments $Root 'build' 'windows' 'cross.sh'), 'build') }
}

# The header check in crates/mglicense-ffi/tests/header.rs reads MGLICENSE_CARGO_CONFIG itself.
function Invoke-CargoTest {
    Invoke-Cargo @('test', '--release', '--workspace')
}

function Invoke-AbiTest {
    $source = Join-Segments $Root 'tests' 'c' 'abi_test.c'
    $program = Join-Segments $OutDir 'c' 'abi_test'
    $null = [System.IO.Directory]::CreateDirectory((Join-Segments $OutDir 'c'))
    Invoke-Native -FilePath 'cc' -ArgumentList @(
        '-std=c11', '-O1', '-Wall', '-Wextra', '-Werror',
        '-I', (Join-Segments $FfiDir 'include'),
        $source,
        '-o', $program,
        '-L', $CargoRelease, '-lmglicense_ffi', "-Wl,-rpath,$CargoRelease")
    # Misuse of the ABI must not corrupt memory or leak: under valgrind the run fails on any
    # invalid access and on any definite or indirect leak. (The engine's runtime is kept for the
    # life of the process on purpose, so "still reachable" blocks are expected.) valgrind is part
    # of every Linux machine that builds MgLicense, CI's included, so without it the test fails
    # rather than pass unchecked; elsewhere (macOS) the program runs without it.
    if (Test-OnPath 'valgrind') {
        Invoke-Native -FilePath 'valgrind' -ArgumentList @(
            '--quiet', '--error-exitcode=9', '--leak-check=full',
            '--show-leak-kinds=definite,indirect', '--errors-for-leak-kinds=definite,indirect',
            $program, (Get-EmulatorPath), $SeedFile)
    } elseif ([System.OperatingSystem]::IsLinux()) {
        throw 'valgrind is not on PATH: the C ABI test must run under it on Linux (apt-get install valgrind).'
    } else {
        $Host.UI.WriteLine('valgrind is not on PATH: the C ABI test runs without memory checking.')
        Invoke-Native -FilePath $program -ArgumentList @((Get-EmulatorPath), $SeedFile)
    }
}

function Invoke-Test {
    Invoke-Build

    $suites = [System.Collections.Generic.List[object]]::new()
    $suites.Add(@('Rust tests (cargo test)', { Invoke-CargoTest }))

    if ([System.OperatingSystem]::IsWindows()) {
        $Host.UI.WriteLine('tests/c/abi_test.c uses POSIX processes and sockets: the C ABI test program is skipped on Windows.')
    } else {
        $suites.Add(@('C ABI test program (tests/c)', { Invoke-AbiTest }))
    }

    # Windows x64 hook (docs/windows.md): the C ABI, Rust and PowerShell tests of the Windows build under Wine.
    if ([System.OperatingSystem]::IsLinux()) { $suites.Add(@('Windows x64 under Wine (build/windows/cross.sh)', { Invoke-Native -FilePath 'bash' -ArgumentList @((Join-Segments $Root 'build' 'windows' 'cross.sh'), 'test') })) }

    $suites.Add(@('Help compiler tests (dotnet test)', {
        Invoke-Native -FilePath 'dotnet' -ArgumentList @('test', (Join-Segments $Root 'tools' 'HelpCompiler.Tests' 'HelpCompiler.Tests.csproj'), '-c', $Configuration)
    }))
    $suites.Add(@('PowerShell tests (dotnet test)', {
        Invoke-Native -FilePath 'dotnet' -ArgumentList @('test', (Join-Segments $Root 'tests' 'MgLicense.Tests' 'MgLicense.Tests.csproj'), '-c', $Configuration)
    }))
    $suites.Add(@('Emulator against the Graph .NET SDK (dotnet test)', {
        Invoke-Native -FilePath 'dotnet' -ArgumentList @('test', (Join-Segments $Root 'tests' 'Emulator.Tests' 'Emulator.Tests.csproj'), '-c', $Configuration)
    }))
    $suites.Add(@('Benchmark program builds (dotnet build)', {
        Invoke-Native -FilePath 'dotnet' -ArgumentList @('build', (Join-Segments $Root 'bench' 'MgLicense.Bench' 'MgLicense.Bench.csproj'), '-c', $Configuration)
    }))

    # Stops at the first suite that fails; the summary counts suites, not tests.
    $passed = 0
    try {
        foreach ($suite in $suites) {
            Write-Step $suite[0]
            & $suite[1]
            $passed++
        }
    } finally {
        $failed = $passed -lt $suites.Count ? 1 : 0
        $notRun = $suites.Count - $passed - $failed
        $script:Summary = "suites: $passed passed, $failed failed$(if ($notRun) { ", $notRun skipped" })"
        if ($failed) {
            $Host.UI.WriteLine('')
            $Host.UI.WriteLine($script:Summary)
        }
    }
}

function Start-Emulator([string] $Seed) {
    $info = [System.Diagnostics.ProcessStartInfo]::new((Get-EmulatorPath))
    foreach ($arg in @('--users', $Seed, '--port', '0', '--exit-on-stdin-eof')) {
        $info.ArgumentList.Add($arg)
    }

    $info.UseShellExecute = $false
    $info.RedirectStandardOutput = $true
    # The emulator stops when its stdin closes, so it cannot outlive this script.
    $info.RedirectStandardInput = $true
    $process = [System.Diagnostics.Process]::Start($info)
    $firstLine = $process.StandardOutput.ReadLineAsync()
    if (-not $firstLine.Wait(20000) -or [string]::IsNullOrEmpty($firstLine.Result)) {
        Stop-Emulator $process
        throw 'The Graph emulator did not print its URL within 20 seconds.'
    }

    # Nothing else on its stdout is needed, but the pipe must not fill up.
    $null = $process.StandardOutput.BaseStream.CopyToAsync([System.IO.Stream]::Null)
    $handler = [System.Net.Http.HttpClientHandler]::new()
    $handler.UseProxy = $false   # loopback only, never through a proxy
    @{ Process = $process; Url = $firstLine.Result.Trim(); Client = [System.Net.Http.HttpClient]::new($handler) }
}

function Stop-Emulator([System.Diagnostics.Process] $Process) {
    if ($null -eq $Process -or $Process.HasExited) {
        return
    }

    try { $Process.StandardInput.Close() } catch { }
    if (-not $Process.WaitForExit(5000)) {
        $Process.Kill($true)
        $null = $Process.WaitForExit(5000)
    }
}

# One call to the emulator's admin API (crates/graph-emulator/README.md): the answer's JSON, or a
# throw that names the call.
function Invoke-EmulatorAdmin {
    param(
        [Parameter(Mandatory)] [hashtable] $Emulator,
        [Parameter(Mandatory)] [string] $Method,
        [Parameter(Mandatory)] [string] $Path,
        [string] $Body
    )

    $request = [System.Net.Http.HttpRequestMessage]::new([System.Net.Http.HttpMethod]::new($Method), $Emulator.Url + $Path)
    if ($Body) {
        $request.Content = [System.Net.Http.StringContent]::new($Body, [System.Text.Encoding]::UTF8, 'application/json')
    }

    $response = $Emulator.Client.SendAsync($request).GetAwaiter().GetResult()
    $text = $response.Content.ReadAsStringAsync().GetAwaiter().GetResult()
    if (-not $response.IsSuccessStatusCode) {
        throw "$Method $Path answered $([int] $response.StatusCode): $text"
    }

    [System.Text.Json.JsonDocument]::Parse($text).RootElement
}

function ConvertTo-JsonString([string] $Text) {
    [System.Text.Json.JsonSerializer]::Serialize($Text, [string])
}

# A property of a JSON object, or $null when it is missing or null.
function Get-JsonValue([System.Text.Json.JsonElement] $Element, [string] $Name) {
    $value = [System.Text.Json.JsonElement]::new()
    if ($Element.TryGetProperty($Name, [ref] $value) -and $value.ValueKind -ne 'Null') {
        return $value
    }

    $null
}

# What an admin changes, through the emulator's admin API, to fix the cause of every license in error
# of these users: one entry per call, each with the cause it fixes, in the order they must be made.
function Get-LicenseFix {
    param(
        [Parameter(Mandatory)] [hashtable] $Emulator,
        [Parameter(Mandatory)] [string[]] $UserId
    )

    $skuNames = @{}
    $skus = @((Invoke-EmulatorAdmin $Emulator GET '/_emulator/skus').GetProperty('value').EnumerateArray())
    foreach ($sku in $skus) {
        $skuNames[$sku.GetProperty('skuId').GetString()] = $sku.GetProperty('skuPartNumber').GetString()
    }

    $groupNames = @{}
    foreach ($group in (Invoke-EmulatorAdmin $Emulator GET '/_emulator/groups').GetProperty('value').EnumerateArray()) {
        $groupNames[$group.GetProperty('id').GetString()] = $group.GetProperty('displayName').GetString()
    }

    # Calls by cause, causes in the order first met; the same call is made once.
    $fixes = [ordered]@{}
    $seen = [System.Collections.Generic.HashSet[string]]::new()
    $waitingForSeat = [System.Collections.Generic.HashSet[string]]::new()
    function Add-Fix([string] $Cause, [string] $Method, [string] $Path, [string] $Body) {
        if ($seen.Add("$Method $Path $Body")) {
            if (-not $fixes.Contains($Cause)) {
                $fixes[$Cause] = [System.Collections.Generic.List[object]]::new()
            }

            $fixes[$Cause].Add([pscustomobject]@{ Cause = $Cause; Method = $Method; Path = $Path; Body = $Body })
        }
    }

    foreach ($id in $UserId) {
        $view = Invoke-EmulatorAdmin $Emulator GET "/_emulator/users/$id"
        $user = $view.GetProperty('user')
        # The admin API takes a UPN wherever it takes a user id, and a UPN reads better.
        $key = [System.Uri]::EscapeDataString($user.GetProperty('userPrincipalName').GetString()).Replace('%40', '@')
        $path = "/_emulator/users/$key"
        $direct = @($view.GetProperty('directLicenses').EnumerateArray())
        foreach ($state in (Get-JsonValue $user 'licenseAssignmentStates').EnumerateArray()) {
            if ($state.GetProperty('state').GetString() -eq 'Active') {
                continue
            }

            $skuId = $state.GetProperty('skuId').GetString()
            $sku = $skuNames[$skuId]
            $group = Get-JsonValue $state 'assignedByGroup'
            $from = if ($group) { "take them out of '$($groupNames[$group.GetString()])'" } else { "remove their direct $sku" }
            $removal = if ($group) {
                @('DELETE', "/_emulator/groups/$($group.GetString())/members/$key", '')
            } else {
                $kept = @($direct | Where-Object { $_.GetProperty('skuId').GetString() -ne $skuId } | ForEach-Object { $_.GetRawText() })
                @('PATCH', $path, '{"directLicenses":[' + ($kept -join ',') + ']}')
            }

            $removed = $false
            switch ($state.GetProperty('error').GetString()) {
                'ProhibitedInUsageLocationViolation' {
                    if (-not (Get-JsonValue $user 'usageLocation')) {
                        Add-Fix 'No usage location (ProhibitedInUsageLocationViolation): give them one' PATCH $path '{"usageLocation":"US"}'
                    } else {
                        Add-Fix "$sku is not sold in their usage location (ProhibitedInUsageLocationViolation): $from" @removal
                        $removed = $true
                    }
                }
                'MutuallyExclusiveViolation' {
                    Add-Fix "$sku conflicts with a plan they already have (MutuallyExclusiveViolation): $from" @removal
                    $removed = $true
                }
                'DependencyViolation' {
                    if ($group) {
                        throw "$key`: $sku from a group lacks a plan another one needs; the demo only fixes direct licenses."
                    }

                    $licenses = @($direct | ForEach-Object {
                        if ($_.GetProperty('skuId').GetString() -eq $skuId) { '{"skuId":' + (ConvertTo-JsonString $skuId) + ',"disabledPlans":[]}' } else { $_.GetRawText() }
                    })
                    Add-Fix "A direct $sku with a plan disabled that another plan needs (DependencyViolation): enable every plan" PATCH $path ('{"directLicenses":[' + ($licenses -join ',') + ']}')
                }
                'UniquenessViolation' {
                    $own = @((Get-JsonValue $user 'proxyAddresses').EnumerateArray() | ForEach-Object { $_.GetString() } | Where-Object { $_.StartsWith('SMTP:') })
                    Add-Fix 'A proxy address another user also has (UniquenessViolation): keep only their primary address' PATCH $path ('{"proxyAddresses":[' + (($own | ForEach-Object { ConvertTo-JsonString $_ }) -join ',') + ']}')
                }
                'CountViolation' { }
                default { throw "$key`: no fix in the demo for $($state.GetRawText())" }
            }

            # Everyone whose license stays assigned will need a seat of it once the cause is gone.
            if (-not $removed -and $state.GetProperty('state').GetString() -eq 'Error') {
                $null = $waitingForSeat.Add("$id/$skuId")
            }
        }
    }

    foreach ($sku in $skus) {
        $skuId = $sku.GetProperty('skuId').GetString()
        $needed = $sku.GetProperty('consumedUnits').GetInt32() + @($waitingForSeat | Where-Object { $_.EndsWith("/$skuId") }).Count
        if ($needed -gt $sku.GetProperty('prepaidUnits').GetProperty('enabled').GetInt32()) {
            Add-Fix "Not enough $($skuNames[$skuId]) seats for everyone waiting for one (CountViolation): buy them" PATCH "/_emulator/skus/$($skuNames[$skuId])" ('{"prepaidUnits":{"enabled":' + $needed + '}}')
        }
    }

    foreach ($calls in $fixes.Values) {
        $calls
    }
}

# Makes the calls, printed under the cause each one fixes.
function Invoke-LicenseFix([hashtable] $Emulator, [object[]] $Fix) {
    $cause = $null
    foreach ($fix in $Fix) {
        if ($fix.Cause -ne $cause) {
            $cause = $fix.Cause
            $Host.UI.WriteLine("  $cause")
        }

        $Host.UI.WriteLine("    $($fix.Method) $($fix.Path) $($fix.Body)".TrimEnd())
        $null = Invoke-EmulatorAdmin $Emulator $fix.Method $fix.Path $fix.Body
    }
}

# Runs one command line the way pwsh runs what a person types at its prompt: errors merged into
# Out-Default, so the output and the errors read exactly as an admin would see them.
function Invoke-AtPrompt {
    param(
        [Parameter(Mandatory)] [System.Management.Automation.Runspaces.Runspace] $Runspace,
        [Parameter(Mandatory)] [string] $Command,
        [switch] $ErrorExpected
    )

    $Host.UI.WriteLine('')
    $Host.UI.WriteLine("PS> $Command")
    $shell = [System.Management.Automation.PowerShell]::Create()
    try {
        $shell.Runspace = $Runspace
        $null = $shell.AddScript($Command)
        $shell.Commands.Commands[0].MergeMyResults('Error', 'Output')
        $null = $shell.AddCommand('Out-Default')
        $null = $shell.Invoke()
        $failed = $shell.HadErrors
    } catch {
        $Host.UI.WriteErrorLine($_.Exception.Message)
        $failed = $true
    } finally {
        $shell.Dispose()
    }

    if ($failed -and -not $ErrorExpected) {
        throw "The demo command '$Command' failed."
    }

    if ($ErrorExpected -and -not $failed) {
        throw "The demo command '$Command' was expected to fail, and did not."
    }
}

# The walk of examples/tenant/README.md ("The demo's walk"): find the users in license error in the
# sample tenant, fix the causes through the admin API, reprocess them from the pipeline, and show
# their license states before and after.
function Invoke-Demo {
    Invoke-Build

    Write-Step "Starting the Graph emulator on $([System.IO.Path]::GetRelativePath($Root, $SampleTenant))"
    $emulator = Start-Emulator $SampleTenant
    try {
        $url = $emulator.Url
        $Host.UI.WriteLine("  emulator at $url")
        $token = (Invoke-EmulatorAdmin $emulator POST '/_emulator/tokens' '{"roles":["User.ReadWrite.All","Directory.Read.All"]}').GetProperty('access_token').GetString()

        # A runspace of its own, so that the module is not left loaded in the caller's session
        # (where it would keep the native library locked on Windows).
        $runspace = [System.Management.Automation.Runspaces.RunspaceFactory]::CreateRunspace(
            $Host, [System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2())
        $runspace.Open()
        try {
            $null = $runspace.SessionStateProxy.Path.SetLocation($Root)
            # ConvertTo-SecureString lives in a module mglhost does not have; this is the same SecureString.
            $runspace.SessionStateProxy.SetVariable('token', [System.Net.NetworkCredential]::new('', $token).SecurePassword)
            $manifest = [System.IO.Path]::GetRelativePath($Root, (Join-Segments $ModuleOut 'MgLicense.psd1'))
            Write-Step 'Connecting MgLicense to the emulator'
            Invoke-AtPrompt $runspace "Import-Module ./$($manifest.Replace('\', '/'))"
            Invoke-AtPrompt $runspace "Add-MgEnvironment -Name Emulator -GraphEndpoint $url -AzureADEndpoint $url"
            Invoke-AtPrompt $runspace 'Connect-MgGraph -Environment Emulator -AccessToken $token'
            Invoke-AtPrompt $runspace '$skus = @{}; Get-MgSubscribedSku -All | ForEach-Object { $skus[$_.SkuId] = $_.SkuPartNumber }'
            Invoke-AtPrompt $runspace 'function Get-LicenseState { process { $user = Get-MgUser -UserId $_ -Property userPrincipalName,licenseAssignmentStates; foreach ($s in $user.LicenseAssignmentStates) { [pscustomobject]@{ UserPrincipalName = $user.UserPrincipalName; License = $skus[$s.SkuId]; State = $s.State; Error = $s.Error } } } }'

            # Reprocessing checks each license again from the start, so it can show an error that the
            # first one hid (a seat that now lets a conflicting plan through, say): find, fix and
            # reprocess until nobody is left in error.
            for ($round = 1; $true; $round++) {
                Write-Step $(if ($round -eq 1) { 'Finding the users with license errors' } else { 'Finding them again (reprocessing can show an error that the first one hid)' })
                Invoke-AtPrompt $runspace '$groups = Get-MgGroup -Filter "hasMembersWithLicenseErrors eq true" -All; $groups.DisplayName'
                Invoke-AtPrompt $runspace '$members = $groups | ForEach-Object { Get-MgGroupMemberWithLicenseError -GroupId $_.Id -All -Property id,userPrincipalName }'
                # Direct licenses belong to no group, so only the users themselves show their errors.
                Invoke-AtPrompt $runspace '$direct = Get-MgUser -All -Property id,userPrincipalName,licenseAssignmentStates | Where-Object { $_.LicenseAssignmentStates | Where-Object { -not $_.AssignedByGroup -and $_.State -ne "Active" } }'
                Invoke-AtPrompt $runspace '$inError = [ordered]@{}; foreach ($user in @($members) + @($direct)) { $inError[$user.Id] = $user.UserPrincipalName }; $inError.Count'
                $ids = [string[]] @($runspace.SessionStateProxy.GetVariable('inError').Keys)
                if ($ids.Count -eq 0) {
                    break
                }

                if ($round -gt 3) {
                    throw "Users still in license error after $($round - 1) rounds of fixes: $($ids -join ', ')"
                }

                if ($round -eq 1) {
                    Invoke-AtPrompt $runspace '$everyone = @($inError.Keys); $before = $everyone | Get-LicenseState; $before'
                } else {
                    Invoke-AtPrompt $runspace '$inError.Keys | Get-LicenseState | Where-Object State -ne Active'
                }

                Write-Step "Fixing the causes through the emulator's admin API (in a tenant: the Entra admin center)"
                Invoke-LicenseFix $emulator @(Get-LicenseFix $emulator $ids)

                Write-Step 'Reprocessing them from the pipeline'
                Invoke-AtPrompt $runspace '$reprocessed = $inError.Keys | Invoke-MgLicenseUser; "$(@($reprocessed).Count) users reprocessed"'
            }

            Write-Step 'Their license states after'
            Invoke-AtPrompt $runspace '$after = $everyone | Get-LicenseState; $after'
            Invoke-AtPrompt $runspace '@(Get-MgGroup -Filter "hasMembersWithLicenseErrors eq true" -All).Count'
            $left = @($runspace.SessionStateProxy.GetVariable('after') | Where-Object { $_.State -ne 'Active' })
            if ($left.Count -gt 0) {
                throw "$($left.Count) licenses are not Active after the fixes."
            }

            Write-Step 'A leaver (soft-deleted) cannot be reprocessed: Graph answers 404'
            $leaver = @((Invoke-EmulatorAdmin $emulator GET '/_emulator/users').GetProperty('value').EnumerateArray() | Where-Object { $_.GetProperty('deleted').GetBoolean() })[0]
            Invoke-AtPrompt $runspace "Invoke-MgLicenseUser -UserId $($leaver.GetProperty('userPrincipalName').GetString())" -ErrorExpected
        } finally {
            $runspace.Dispose()
        }
    } finally {
        $emulator.Client.Dispose()
        Stop-Emulator $emulator.Process
    }
}

function Invoke-Package {
    Invoke-Build

    $version = Get-ModuleVersion
    $rid = Get-RuntimeIdentifier
    $zip = Join-Segments $OutDir "MgLicense-$version-$rid.zip"
    Write-Step "Packaging $zip"
    if (Test-File $zip) {
        [System.IO.File]::Delete($zip)
    }

    try {
        $null = [System.Reflection.Assembly]::Load('System.IO.Compression.ZipFile')
    } catch {
        # Already part of the runtime's loaded set on some platforms.
    }

    # With its base folder, so that the archive unpacks to MgLicense/ ready for $env:PSModulePath.
    [System.IO.Compression.ZipFile]::CreateFromDirectory($ModuleOut, $zip, [System.IO.Compression.CompressionLevel]::Optimal, $true)
    $Host.UI.WriteLine("  $([System.IO.Path]::GetRelativePath($Root, $zip)) ($([System.IO.FileInfo]::new($zip).Length) bytes)")
}

function Invoke-Clean {
    # A host running from out/ (mglhost, built by build.sh) cannot delete itself on Windows; keep it.
    $hostDir = [System.IO.Path]::GetFullPath([System.AppContext]::BaseDirectory).TrimEnd([System.IO.Path]::DirectorySeparatorChar)
    foreach ($dir in @($OutDir, $TargetDir)) {
        if (-not (Test-Directory $dir)) {
            continue
        }

        Write-Step "Removing $dir"
        if ($hostDir.StartsWith($dir + [System.IO.Path]::DirectorySeparatorChar, [System.StringComparison]::Ordinal)) {
            foreach ($entry in [System.IO.Directory]::GetFileSystemEntries($dir)) {
                if ($hostDir -eq $entry -or $hostDir.StartsWith($entry + [System.IO.Path]::DirectorySeparatorChar, [System.StringComparison]::Ordinal)) {
                    $Host.UI.WriteLine("  keeping $entry (the running host)")
                } elseif (Test-Directory $entry) {
                    [System.IO.Directory]::Delete($entry, $true)
                } else {
                    [System.IO.File]::Delete($entry)
                }
            }
        } else {
            [System.IO.Directory]::Delete($dir, $true)
        }
    }
}

# ---- main --------------------------------------------------------------------------------------

$startLocation = $ExecutionContext.SessionState.Path.CurrentFileSystemLocation.Path
$null = $ExecutionContext.SessionState.Path.SetLocation($Root)
$clock = [System.Diagnostics.Stopwatch]::StartNew()
try {
    switch ($Task) {
        'Build' { Invoke-Build }
        'Test' { Invoke-Test }
        'Demo' { Invoke-Demo }
        'Package' { Invoke-Package }
        'Clean' { Invoke-Clean }
    }

    $Host.UI.WriteLine('')
    $Host.UI.WriteLine("$Task succeeded in $([int] $clock.Elapsed.TotalSeconds) s.")
    if ($script:Summary) {
        $Host.UI.WriteLine($script:Summary)
    }
} finally {
    $null = $ExecutionContext.SessionState.Path.SetLocation($startLocation)
}
