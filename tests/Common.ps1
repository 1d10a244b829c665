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
# Windows as Wine runs it (the Windows lane of build/windows/cross.sh, docs/windows.md). A test that needs what
# Wine lacks says -Skip:$IsWine with the Wine limitation beside it (grep IsWine); on Linux and on a real Windows
# machine it is $false and every test runs. A file that skips so dot-sources this file in BeforeDiscovery too.
$script:IsWine = $IsWindows -and $null -ne [Microsoft.Win32.Registry]::LocalMachine.OpenSubKey('Software\Wine')
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

# The class name in FullyQualifiedErrorId. A non-terminating error names the official cmdlet's variant for the parameter
# set, as the official modules' errors do: Invoke-MgLicenseUser, License -> Microsoft.Graph.PowerShell.Cmdlets.InvokeMgLicenseUser_License
# (beta cmdlets: Microsoft.Graph.Beta.PowerShell.Cmdlets.…). A terminating one (no -Set) names MgLicense's own class:
# Invoke-MgLicenseUser -> MgLicense.Commands.InvokeMgLicenseUser.
function Get-CmdletClass([string] $Cmdlet, [string] $Set) {
    if (-not $Set) { return 'MgLicense.Commands.' + $Cmdlet.Replace('-', '') }
    $namespace = if ($Cmdlet -like '*-MgBeta*') { 'Microsoft.Graph.Beta.PowerShell.Cmdlets' } else { 'Microsoft.Graph.PowerShell.Cmdlets' }
    "$namespace.$($Cmdlet.Replace('-', ''))_$Set"
}

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
        $null = Remove-MgEnvironment -Name $EnvironmentName
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
        if (Get-MgEnvironment -Name $name -ErrorAction Ignore) { $null = Remove-MgEnvironment -Name $name }
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

# How many Graph requests the emulator has logged so far, and the ones logged after such a mark, oldest
# first: the call between the two runs in the test's own scope, so its -OutVariable, -ErrorVariable and
# -ResponseHeadersVariable land where the test reads them.
function Get-RequestMark { @(Get-SentRequest).Count }
function Get-RequestSince([int] $Mark) { @(Get-SentRequest) | Select-Object -Skip $Mark }

# A header of a logged request by name, in any case; its first value when it was sent more than once.
function Get-SentHeader($Request, [string] $Name) {
    foreach ($header in $Request.headers.PSObject.Properties) {
        if ($header.Name -eq $Name) {
            return @($header.Value)[0]
        }
    }
}

# The header names of a logged request, in lower case.
function Get-SentHeaderName($Request) { $Request.headers.PSObject.Properties.Name | ForEach-Object { $_.ToLowerInvariant() } }

# IDictionary.Contains, which dictionaries that implement it explicitly do not show to scripts.
function Test-DictionaryKey([System.Collections.IDictionary] $Dictionary, [string] $Key) {
    [System.Collections.IDictionary].GetMethod('Contains').Invoke($Dictionary, @($Key))
}

# Strings in ordinal order (culture- and case-exact), for sets whose order does not matter: pipeline input
# is sent concurrently, so calls may reach the service in any order (output order is checked apart).
function Get-Sorted([string[]] $Item) {
    $sorted = [string[]] @($Item)
    [Array]::Sort($sorted, [StringComparer]::Ordinal)
    , $sorted
}

# The same, joined, to compare two sets exactly in one assertion.
function Join-Sorted([string[]] $Item, [string] $Separator = ',') { (Get-Sorted $Item) -join $Separator }

# The id of a seeded user by its userPrincipalName.
function Get-TestUserId([string] $Upn) { ($TestUsers | Where-Object { $_.userPrincipalName -ceq $Upn }).id }

# Every error a call saw, terminating or not: the records its -ErrorVariable collected (it holds a
# terminating error as an exception, not a record), then the terminating one a catch caught.
function Get-AllError($ErrorVariable, $Caught) {
    @($ErrorVariable | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }) + @($Caught | Where-Object { $null -ne $_ })
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

# A loopback HTTP proxy that refuses every tunnel (403) and keeps each request's first line (Seen) and head
# (Heads) (tests/support/RefusingProxy.cs); its Url is the proxy's address. Dispose it when done.
function New-RefusingProxy {
    if (-not ('MgLicense.Tests.RefusingProxy' -as [type])) {
        Add-Type -Path (Join-Path $PSScriptRoot 'support/RefusingProxy.cs')
    }

    [MgLicense.Tests.RefusingProxy]::new()
}

# Runs a script connected to an environment whose Graph calls go to a remote name (under .invalid, which the engine
# refuses to look up) through a refusing proxy (New-RefusingProxy), with no retries: loopback is never proxied, so this
# is how a test sees what a -Proxy call sends, and nothing leaves the machine. The script gets the proxy (its Url, its
# Heads) as its argument and its output is the answer; afterwards the environment, the proxy and the retry count are
# gone or as they were, and the process is connected to the emulator again with a token of -Roles (the file's own).
function Invoke-WithProxiedGraph {
    param([Parameter(Mandatory, Position = 0)] [scriptblock] $Script, [string[]] $Roles = @('User.ReadWrite.All'))
    $proxy = New-RefusingProxy
    $null = Add-MgEnvironment -Name ProxiedGraph -GraphEndpoint https://graph.example.invalid -AzureADEndpoint https://login.example.invalid
    $maxRetry = (Get-MgRequestContext).MaxRetry
    try {
        $null = Connect-MgGraph -AccessToken (ConvertTo-TestSecureString (New-TestToken User.ReadWrite.All)) -Environment ProxiedGraph -NoWelcome
        $null = Set-MgRequestContext -MaxRetry 0
        & $Script $proxy
    } finally {
        $null = Set-MgRequestContext -MaxRetry $maxRetry
        $null = Disconnect-MgGraph -ErrorAction Ignore
        $null = Remove-MgEnvironment -Name ProxiedGraph
        $proxy.Dispose()
        $null = Connect-TestEmulator (New-TestToken $Roles)
    }
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

# Runs a script as a user's script runs in a fresh session, whatever preferences the test set: PowerShell's
# defaults inside (errors and warnings continue, verbose and debug off). Every stream is kept apart:
#   Output, Errors (non-terminating), Terminating (the error that stopped it, or $null), AllErrors (both),
#   and the messages of Warnings, Verbose, Debug and Information.
# The script is dot-sourced here: it sees the caller's variables, and the ones it sets land here, not in the
# test; -Keep names those to give back (.Variables). -OnRecord sees each record as it is written (to answer
# a sign-in's device code, say).
function Invoke-Captured {
    param([Parameter(Mandatory, Position = 0)] [scriptblock] $Script, [string[]] $Keep = @(), [scriptblock] $OnRecord)

    # One variable of its own, under a name no test uses, and no parameter left: nothing here hides a
    # variable of the caller's from the script, but the preferences, which are the point.
    $MgLicenseTestCapture = @{
        Script = $Script; Keep = $Keep; OnRecord = $OnRecord; Terminating = $null
        Records = [System.Collections.Generic.List[object]]::new()
    }
    Remove-Variable -Name Script, Keep, OnRecord
    foreach ($MgLicenseTestCaptureName in $MgLicenseTestCapture.Keep) { Remove-Variable -Name $MgLicenseTestCaptureName -Scope Global -ErrorAction Ignore }
    $ErrorActionPreference = 'Continue'
    $WarningPreference = 'Continue'
    $VerbosePreference = 'SilentlyContinue'
    $DebugPreference = 'SilentlyContinue'
    $InformationPreference = 'SilentlyContinue'
    $ConfirmPreference = 'High'
    $WhatIfPreference = $false

    try {
        . $MgLicenseTestCapture.Script *>&1 | ForEach-Object {
            $MgLicenseTestCapture.Records.Add($_)
            if ($MgLicenseTestCapture.OnRecord) { & $MgLicenseTestCapture.OnRecord $_ }
        }
    } catch {
        $MgLicenseTestCapture.Terminating = $_
    }

    # A variable the script set itself, else a global one: -ResponseHeadersVariable and -CountVariable set global
    # variables, as the official cmdlets do (one left by an earlier run was removed before this one).
    $MgLicenseTestCapture.Variables = @{}
    foreach ($MgLicenseTestCaptureName in $MgLicenseTestCapture.Keep) {
        $MgLicenseTestCapture.Variables[$MgLicenseTestCaptureName] = if (Test-Path "variable:local:$MgLicenseTestCaptureName") {
            Get-Variable -Name $MgLicenseTestCaptureName -ValueOnly -Scope 0
        } else {
            Get-Variable -Name $MgLicenseTestCaptureName -ValueOnly -Scope Global -ErrorAction Ignore
            Remove-Variable -Name $MgLicenseTestCaptureName -Scope Global -ErrorAction Ignore
        }
    }

    $records = $MgLicenseTestCapture.Records
    $errors = @($records | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
    [pscustomobject]@{
        Output      = @($records | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] -and $_ -isnot [System.Management.Automation.InformationalRecord] -and $_ -isnot [System.Management.Automation.InformationRecord] })
        Errors      = $errors
        Terminating = $MgLicenseTestCapture.Terminating
        AllErrors   = @($errors) + @($MgLicenseTestCapture.Terminating | Where-Object { $null -ne $_ })
        Warnings    = @($records | Where-Object { $_ -is [System.Management.Automation.WarningRecord] } | ForEach-Object Message)
        Verbose     = @($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
        Debug       = @($records | Where-Object { $_ -is [System.Management.Automation.DebugRecord] } | ForEach-Object Message)
        Information = @($records | Where-Object { $_ -is [System.Management.Automation.InformationRecord] } | ForEach-Object { "$($_.MessageData)" })
        Variables   = $MgLicenseTestCapture.Variables
    }
}

# No secret in anything a run (an Invoke-Captured answer) showed, nor on the console lines given; a JWT's
# signature alone counts too, as it is the part that makes the token usable. Each leak is named.
function Assert-NoSecret($Run, [string[]] $Console, [string[]] $Secret) {
    $secrets = foreach ($s in $Secret) {
        $s
        if ($s.Split('.').Count -eq 3) { $s.Substring($s.LastIndexOf('.') + 1) }
    }

    $texts = @(Get-AllText -Output $Run.Output -Errors $Run.AllErrors -Other (@($Run.Warnings) + $Run.Verbose + $Run.Debug + $Run.Information)) + @($Console)
    $leaks = foreach ($text in $texts) {
        foreach ($s in $secrets) { if ("$text".Contains($s, [StringComparison]::Ordinal)) { "'$s' appears in: $text" } }
    }

    $leaks | Should -BeNullOrEmpty
}

# Runs a script in a pwsh of its own (the one running the tests), for what only a console shows, a module
# imported fresh, or an exit code: the lines its console showed (output, then errors) as text, and its exit
# code in $LASTEXITCODE. This process's environment is left as it is.
#   -Environment  variables of the child's environment: added, replaced, or removed where the value is $null
#   -Variable     variables the script starts with, as strings (through its environment: nothing to quote)
#   -WithModule   the script starts with MgLicense imported and -GraphUrl (this file's emulator unless told)
#                 as the 'Emulator' environment
#   -Token        ... and connected to it with this access token (implies -WithModule)
#   -OnLine       sees each line of its output as it is shown (to answer a sign-in)
function Invoke-ChildPwsh {
    param(
        [Parameter(Mandatory, Position = 0)] [string] $Command,
        [Parameter(Position = 1)] [hashtable] $Environment = @{},
        [hashtable] $Variable = @{},
        [switch] $WithModule,
        [string] $Token,
        [string] $GraphUrl = $script:CurrentEmulator.Url,
        [scriptblock] $OnLine,
        [string] $WorkingDirectory = (Get-Location).ProviderPath,
        [int] $TimeoutSeconds = 300
    )

    $info = [System.Diagnostics.ProcessStartInfo]::new((Join-Path $PSHOME $(if ($IsWindows) { 'pwsh.exe' } else { 'pwsh' })))
    $info.UseShellExecute = $false
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $info.StandardOutputEncoding = [System.Text.Encoding]::UTF8
    $info.StandardErrorEncoding = [System.Text.Encoding]::UTF8
    $info.WorkingDirectory = $WorkingDirectory
    $values = @{ MGLICENSE_TEST_MODULE = $ModuleManifest; MGLICENSE_TEST_EMULATOR = $EmulatorProgram; NO_COLOR = '1' }
    $prologue = ''
    if ($WithModule -or $Token) {
        $values['MGLICENSE_TEST_URL'] = $GraphUrl
        $prologue += 'Import-Module $env:MGLICENSE_TEST_MODULE -ErrorAction Stop; ' +
            '$null = Add-MgEnvironment -Name Emulator -GraphEndpoint $env:MGLICENSE_TEST_URL -AzureADEndpoint $env:MGLICENSE_TEST_URL -ErrorAction Stop; '
    }

    if ($Token) {
        $values['MGLICENSE_TEST_TOKEN'] = $Token
        $prologue += 'Connect-MgGraph -AccessToken (ConvertTo-SecureString $env:MGLICENSE_TEST_TOKEN -AsPlainText -Force) -Environment Emulator -NoWelcome -ErrorAction Stop; '
    }

    if ($prologue) {
        # A prologue that fails ends the child with exit code 2 and says why, before the script runs.
        $prologue = "try { $prologue} catch { [Console]::Error.WriteLine(`"The child pwsh's prologue failed: `$_`"); exit 2 }`n"
    }

    foreach ($name in $Variable.Keys) {
        if ($name -notmatch '^\w+$') { throw "Invoke-ChildPwsh: '$name' is not a plain variable name." }
        if ($null -eq $Variable[$name]) { $prologue += "`$$name = `$null`n"; continue }
        $values["MGLICENSE_TEST_VARIABLE_$name"] = [string] $Variable[$name]
        $prologue += "`$$name = `$env:MGLICENSE_TEST_VARIABLE_$name`n"
    }

    foreach ($name in $Environment.Keys) { $values[$name] = $Environment[$name] }
    foreach ($name in $values.Keys) {
        if ($null -eq $values[$name]) { $null = $info.Environment.Remove($name) } else { $info.Environment[$name] = [string] $values[$name] }
    }

    foreach ($argument in '-NoProfile', '-NonInteractive', '-Command', ($prologue + $Command)) { $info.ArgumentList.Add($argument) }
    $process = [System.Diagnostics.Process]::Start($info)
    try {
        $errors = $process.StandardError.ReadToEndAsync()
        $reading = $process.StandardOutput.ReadLineAsync()
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
        while ($true) {
            if (-not $reading.Wait([Math]::Max(0, ($deadline - [DateTime]::UtcNow).TotalMilliseconds))) {
                throw "The child pwsh did not end within $TimeoutSeconds s."
            }

            if ($null -eq ($line = $reading.Result)) { break }
            $reading = $process.StandardOutput.ReadLineAsync()
            if ($OnLine) { & $OnLine $line }
            $line
        }

        if (-not $process.WaitForExit([Math]::Max(0, [int] ($deadline - [DateTime]::UtcNow).TotalMilliseconds))) { throw "The child pwsh did not end within $TimeoutSeconds s." }
        $process.WaitForExit()
        $global:LASTEXITCODE = $process.ExitCode
        if ($errors.Result.Length -gt 0) { $errors.Result -replace '\r?\n$', '' -split '\r?\n' }
    } finally {
        if (-not $process.HasExited) { $process.Kill($true) }
        $process.Dispose()
    }
}
