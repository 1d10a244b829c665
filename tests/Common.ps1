# What every Pester test file of MgLicense shares: a Graph emulator of its own on loopback, the module
# imported as users import it, tokens minted by the emulator, and the emulator's request log.
#
#   BeforeAll {
#       . $PSScriptRoot/Common.ps1
#       $script:Emulator = Start-TestEmulator          # also imports MgLicense and adds the 'Emulator' environment
#       Connect-TestEmulator (New-TestToken User.ReadWrite.All)
#   }
#   AfterAll { Stop-TestEmulator $script:Emulator }
#
# Where things are (tests/Invoke-Tests.ps1 sets these; the defaults are the Linux build's):
#   MGLICENSE_TEST_MODULE     the module manifest to import (out/MgLicense/MgLicense.psd1)
#   MGLICENSE_TEST_EMULATOR   the emulator program (target/release/graph-emulator[.exe])

$script:RepoRoot = [System.IO.Path]::GetFullPath((Join-Path $PSScriptRoot '..'))
$script:ModuleManifest = if ($env:MGLICENSE_TEST_MODULE) { $env:MGLICENSE_TEST_MODULE } else { Join-Path $RepoRoot 'out/MgLicense/MgLicense.psd1' }
$script:EmulatorProgram = if ($env:MGLICENSE_TEST_EMULATOR) { $env:MGLICENSE_TEST_EMULATOR } else {
    Join-Path $RepoRoot "target/release/graph-emulator$(if ($IsWindows) { '.exe' })"
}
$script:StubEnvironments = @()
$script:TestTenant = Join-Path $RepoRoot 'tests/data/tenant.json'
# The users seeded from tests/data/tenant.json, as the emulator serves them.
$script:TestUsers = @((Get-Content -Raw $TestTenant | ConvertFrom-Json).users)

# The four reprocess cmdlets and the path each one posts to for a user ({0}).
$script:ReprocessPaths = [ordered]@{
    'Invoke-MgLicenseUser'                               = '/v1.0/users/{0}/reprocessLicenseAssignment'
    'Invoke-MgBetaLicenseUser'                           = '/beta/users/{0}/reprocessLicenseAssignment'
    'Invoke-MgBetaReprocessUserCloudLicensingAssignment' = '/beta/users/{0}/cloudLicensing/assignments/reprocessAssignments'
    'Invoke-MgBetaLicenseUser2'                          = '/beta/users/{0}/reprocessLicenseAssignment2'
}

# The class name in FullyQualifiedErrorId: Invoke-MgLicenseUser -> MgLicense.Commands.InvokeMgLicenseUser.
function Get-CmdletClass([string] $Cmdlet) { 'MgLicense.Commands.' + $Cmdlet.Replace('-', '') }

function Import-MgLicense {
    if (-not (Test-Path $ModuleManifest)) {
        throw "$ModuleManifest is missing: build the module first (./build.sh build)."
    }

    Import-Module $ModuleManifest -Force:$false -ErrorAction Stop
}

# Starts the emulator on a free loopback port with a seed tenant (tests/data/tenant.json unless
# told), imports MgLicense, and makes the emulator the 'Emulator' environment (the environment
# list is the process's, so a file's emulator replaces the one before). The emulator stops when
# this process's end closes its standard input.
function Start-TestEmulator {
    param(
        [string] $Tenant = $TestTenant,
        [string] $EnvironmentName = 'Emulator',
        [string[]] $ArgumentList = @()
    )

    if (-not (Test-Path $EmulatorProgram)) {
        throw "$EmulatorProgram is missing: build it first (./build.sh build)."
    }

    Import-MgLicense
    $info = [System.Diagnostics.ProcessStartInfo]::new($EmulatorProgram)
    foreach ($argument in @('--users', $Tenant, '--port', '0', '--exit-on-stdin-eof') + $ArgumentList) {
        $info.ArgumentList.Add($argument)
    }

    $info.UseShellExecute = $false
    $info.RedirectStandardInput = $true
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $process = [System.Diagnostics.Process]::Start($info)
    $firstLine = $process.StandardOutput.ReadLineAsync()
    if (-not $firstLine.Wait(30000) -or [string]::IsNullOrWhiteSpace($firstLine.Result)) {
        $process.Kill($true)
        throw "graph-emulator printed no URL within 30 s: $($process.StandardError.ReadToEnd())"
    }

    # What it says later is kept for failure messages; a full pipe would stall it.
    $log = [System.IO.MemoryStream]::new()
    $null = $process.StandardOutput.BaseStream.CopyToAsync([System.IO.Stream]::Null)
    $null = $process.StandardError.BaseStream.CopyToAsync($log)

    $handler = [System.Net.Http.HttpClientHandler]::new()
    $handler.UseProxy = $false   # loopback only, never through a proxy
    $emulator = [pscustomobject]@{
        PSTypeName  = 'MgLicense.TestEmulator'
        Url         = $firstLine.Result.Trim().TrimEnd('/')
        Process     = $process
        Environment = $EnvironmentName
        Http        = [System.Net.Http.HttpClient]::new($handler)
        ErrorLog    = $log
    }

    if (Get-MgEnvironment -Name $EnvironmentName -ErrorAction Ignore) {
        Remove-MgEnvironment -Name $EnvironmentName
    }

    Add-MgEnvironment -Name $EnvironmentName -GraphEndpoint $emulator.Url -AzureADEndpoint $emulator.Url | Out-Null
    $script:CurrentEmulator = $emulator
    $emulator
}

function Stop-TestEmulator($Emulator = $script:CurrentEmulator) {
    if ($null -eq $Emulator) { return }
    Disconnect-MgGraph -ErrorAction Ignore | Out-Null
    $Emulator.Http.Dispose()
    if (-not $Emulator.Process.HasExited) {
        try { $Emulator.Process.StandardInput.Close() } catch { }
        if (-not $Emulator.Process.WaitForExit(5000)) {
            $Emulator.Process.Kill($true)
            $null = $Emulator.Process.WaitForExit(5000)
        }
    }

    foreach ($name in @($script:StubEnvironments)) {
        if (Get-MgEnvironment -Name $name -ErrorAction Ignore) { Remove-MgEnvironment -Name $name }
    }
    $script:StubEnvironments = @()
    if ($script:CurrentEmulator -eq $Emulator) { $script:CurrentEmulator = $null }
}

# One call to the emulator's admin API (crates/graph-emulator/README.md, "Admin API"): the answer,
# parsed, or a throw that names the call. -Body is sent as JSON (a string as it is).
function Invoke-EmulatorAdmin {
    param(
        [Parameter(Mandatory, Position = 0)] [string] $Method,
        [Parameter(Mandatory, Position = 1)] [string] $Path,
        [Parameter(Position = 2)] $Body,
        $Emulator = $script:CurrentEmulator,
        [switch] $Raw
    )

    $request = [System.Net.Http.HttpRequestMessage]::new([System.Net.Http.HttpMethod]::new($Method), "$($Emulator.Url)/_emulator/$($Path.TrimStart('/'))")
    if ($null -ne $Body) {
        $json = if ($Body -is [string]) { $Body } else { ConvertTo-Json $Body -Depth 20 -Compress }
        $request.Content = [System.Net.Http.StringContent]::new($json, [System.Text.Encoding]::UTF8, 'application/json')
    }

    $response = $Emulator.Http.Send($request)
    $text = $response.Content.ReadAsStringAsync().GetAwaiter().GetResult()
    if (-not $response.IsSuccessStatusCode) {
        throw "$Method /_emulator/$Path answered $([int] $response.StatusCode): $text"
    }

    if ($Raw) { return $text }
    if ($text) { ConvertFrom-Json $text -Depth 100 -NoEnumerate }
}

# An app-only token with these application permissions, signed by the emulator.
function New-TestToken([string[]] $Roles = @('User.ReadWrite.All')) {
    (Invoke-EmulatorAdmin POST tokens @{ roles = @($Roles) }).access_token
}

# A delegated token, as a signed-in user gets: -UserId is the user, -Scopes go to scp.
function New-DelegatedTestToken([string] $UserId, [string[]] $Scopes = @('User.ReadWrite.All')) {
    (Invoke-EmulatorAdmin POST tokens @{ userId = $UserId; scopes = @($Scopes) }).access_token
}

function ConvertTo-TestSecureString([string] $Text) { ConvertTo-SecureString $Text -AsPlainText -Force }

# Connects the process to the emulator with a token, as a user with a token does.
function Connect-TestEmulator([string] $Token = (New-TestToken), [string] $Environment = $script:CurrentEmulator.Environment) {
    Connect-MgGraph -AccessToken (ConvertTo-TestSecureString $Token) -Environment $Environment -NoWelcome -ErrorAction Stop
}

# Replaces the emulator's injected faults (graph-emulator's fault profile); @{ rules = @() } clears them.
function Set-EmulatorFault($Profile) { $null = Invoke-EmulatorAdmin PUT faults $Profile }

# Every Graph request the emulator received, oldest first.
function Get-SentRequest { @(Invoke-EmulatorAdmin GET requests) | ForEach-Object { $_ } }

function Clear-SentRequest { $null = Invoke-EmulatorAdmin DELETE requests }

# The Graph requests received while the script block ran (its output is dropped).
function Get-RequestDuring([scriptblock] $Action) {
    $before = @(Get-SentRequest).Count
    $null = & $Action
    @(Get-SentRequest) | Select-Object -Skip $before
}

# A header of a logged request by name, in any case; its first value when it was sent more than once.
function Get-SentHeader($Request, [string] $Name) {
    foreach ($header in $Request.headers.PSObject.Properties) {
        if ($header.Name -eq $Name) {
            return @($header.Value)[0]
        }
    }
}

# Every object of a collection read straight from the emulator with a token, following
# @odata.nextLink: the reference the read cmdlets are checked against.
function Get-GraphList([string] $Token, [string] $PathAndQuery, $Emulator = $script:CurrentEmulator) {
    $url = $Emulator.Url + $PathAndQuery
    while ($url) {
        $page = Invoke-RestMethod -Uri $url -Headers @{ Authorization = "Bearer $Token" } -NoProxy
        $page.value
        $url = $page.PSObject.Properties['@odata.nextLink']?.Value
    }
}

# A loopback HTTP endpoint for what the emulator cannot be made to do (tests/support/StubGraph.cs):
# -Answer is the raw HTTP response sent for every request (status line, headers, blank line, body),
# $null never answers; -EchoAuthorization '200 OK' echoes the request's Authorization back in
# headers and body. Dispose it when done.
function New-StubGraph {
    param([AllowNull()] [string] $Answer, [string] $EchoAuthorization)
    if (-not ('MgLicense.Tests.StubGraph' -as [type])) {
        Add-Type -Path (Join-Path $PSScriptRoot 'support/StubGraph.cs')
    }

    if ($EchoAuthorization) { return [MgLicense.Tests.StubGraph]::EchoingAuthorization($EchoAuthorization) }
    if ([string]::IsNullOrEmpty($Answer)) { return [MgLicense.Tests.StubGraph]::new([string] $null) }
    [MgLicense.Tests.StubGraph]::new([string] $Answer)
}

# Adds an environment for a stub and connects to it with a token; the environment's name is the
# answer, and Stop-TestEmulator removes it.
function Connect-StubGraph($Stub, [string] $Token = 'eyJ0eXAiOiJKV1QifQ.eyJleHAiOjQxMDI0NDQ4MDB9.c2ln') {
    $name = 'Stub' + [guid]::NewGuid().ToString('N')
    Add-MgEnvironment -Name $name -GraphEndpoint $Stub.Url -AzureADEndpoint $Stub.Url | Out-Null
    $script:StubEnvironments += @($name)
    Connect-MgGraph -AccessToken (ConvertTo-TestSecureString $Token) -Environment $name -NoWelcome -ErrorAction Stop | Out-Null
    $name
}

# Every text a run showed anyone, for checks that a secret appears nowhere: output, errors with
# their details, exception chain and target, and the other streams collected with -*Variable.
function Get-AllText {
    param($Output, $Errors, $Other)
    foreach ($o in @($Output)) { "$o" }
    foreach ($e in @($Errors)) {
        "$e"; $e.ErrorDetails.Message; "$($e.Exception)"; "$($e.TargetObject)"
    }
    foreach ($o in @($Other)) { "$o" }
}

# The pwsh running the tests, for a script that must run in a process of its own (what a console
# shows, a module imported fresh, an exit code): its output and error lines, merged, as text.
function Invoke-ChildPwsh {
    param([Parameter(Mandatory)] [string] $Command, [hashtable] $Environment = @{})
    $pwsh = Join-Path $PSHOME $(if ($IsWindows) { 'pwsh.exe' } else { 'pwsh' })
    $saved = @{}
    $Environment['MGLICENSE_TEST_MODULE'] = $ModuleManifest
    $Environment['MGLICENSE_TEST_EMULATOR'] = $EmulatorProgram
    $Environment['NO_COLOR'] = '1'
    foreach ($name in $Environment.Keys) { $saved[$name] = [Environment]::GetEnvironmentVariable($name); [Environment]::SetEnvironmentVariable($name, $Environment[$name]) }
    try {
        & $pwsh -NoProfile -NonInteractive -Command $Command 2>&1 | ForEach-Object { "$_" }
    } finally {
        foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $(if ($null -eq $saved[$name]) { [NullString]::Value } else { $saved[$name] })) }
    }
}
