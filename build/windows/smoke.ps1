<#
.SYNOPSIS
    The packaged module on Windows, end to end: import, connect to the emulator, read, reprocess.

.DESCRIPTION
    build/windows/cross.sh runs it in the win-x64 pwsh (tools/WinPwsh) under Wine, with the
    Windows emulator (graph-emulator.exe) on 127.0.0.1. On a Windows machine it runs as it is:

      pwsh -File build\windows\smoke.ps1 -ModuleManifest out\MgLicense\MgLicense.psd1 `
           -Emulator target\release\graph-emulator.exe -Tenant tests\data\tenant.json

    Prints one line per check and "smoke: N passed, N failed"; exits 1 on any failure.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModuleManifest,
    [Parameter(Mandatory)] [string] $Emulator,
    [Parameter(Mandatory)] [string] $Tenant
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$script:passed = 0
$script:failed = 0

function Test-That([string] $What, [scriptblock] $Check) {
    try {
        if (& $Check) { $script:passed++; Write-Host "ok   $What"; return }
        $script:failed++; Write-Host "FAIL $What"
    } catch {
        $script:failed++; Write-Host "FAIL $What ($($_.Exception.Message))"
    }
}

$process = $null
try {
    $imported = [System.Diagnostics.Stopwatch]::StartNew()
    Import-Module $ModuleManifest
    $imported.Stop()
    Test-That "Import-Module under the execution policy '$(Get-ExecutionPolicy)' ($($imported.ElapsedMilliseconds) ms)" {
        $null -ne (Get-Command Invoke-MgLicenseUser -Module MgLicense)
    }
    Test-That 'this is Windows x64' { $IsWindows -and [Environment]::Is64BitProcess }

    $info = [System.Diagnostics.ProcessStartInfo]::new($Emulator)
    foreach ($argument in @('--users', $Tenant, '--port', '0', '--exit-on-stdin-eof')) { $info.ArgumentList.Add($argument) }
    $info.UseShellExecute = $false
    $info.RedirectStandardInput = $true
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $process = [System.Diagnostics.Process]::Start($info)
    $line = $process.StandardOutput.ReadLineAsync()
    if (-not $line.Wait(60000) -or -not $line.Result) { throw "$Emulator printed no URL within 60 s" }
    $null = $process.StandardOutput.BaseStream.CopyToAsync([System.IO.Stream]::Null)
    $null = $process.StandardError.BaseStream.CopyToAsync([System.IO.Stream]::Null)
    $url = $line.Result.Trim().TrimEnd('/')
    Test-That "the emulator listens on loopback ($url)" { $url -like 'http://127.0.0.1:*' }

    $handler = [System.Net.Http.HttpClientHandler]::new()
    $handler.UseProxy = $false
    $http = [System.Net.Http.HttpClient]::new($handler)
    $body = [System.Net.Http.StringContent]::new('{"roles":["User.ReadWrite.All"]}', [System.Text.Encoding]::UTF8, 'application/json')
    $token = ($http.PostAsync("$url/_emulator/tokens", $body).GetAwaiter().GetResult().Content.ReadAsStringAsync().GetAwaiter().GetResult() | ConvertFrom-Json).access_token

    Add-MgEnvironment -Name Emulator -GraphEndpoint $url -AzureADEndpoint $url | Out-Null
    Connect-MgGraph -AccessToken (ConvertTo-SecureString $token -AsPlainText -Force) -Environment Emulator -NoWelcome
    Test-That 'Connect-MgGraph with an access token' { (Get-MgContext).Environment -eq 'Emulator' }

    $native = @([System.Diagnostics.Process]::GetCurrentProcess().Modules | Where-Object ModuleName -eq 'mglicense_ffi.dll')
    Test-That "the engine is the module's win-x64 DLL ($(@($native.FileName) -join ', '))" {
        $native.Count -eq 1 -and $native[0].FileName -like '*runtimes?win-x64?native?mglicense_ffi.dll'
    }

    $users = @(Get-MgUser -All)
    $expected = @((Get-Content -Raw $Tenant | ConvertFrom-Json).users).Count
    Test-That "Get-MgUser -All reads the tenant's $expected users" { $users.Count -eq $expected }

    $user = $users[0]
    $result = Invoke-MgLicenseUser -UserId $user.Id
    Test-That "Invoke-MgLicenseUser reprocesses $($user.UserPrincipalName)" { $result.Id -eq $user.Id }

    $requests = $http.GetStringAsync("$url/_emulator/requests").GetAwaiter().GetResult() | ConvertFrom-Json
    Test-That 'the emulator received exactly one reprocess call for that user' {
        @($requests | Where-Object { $_.method -eq 'POST' -and $_.path -like "*/users/$($user.Id)/reprocessLicenseAssignment" }).Count -eq 1
    }

    $many = @($users | Select-Object -First 5 | Invoke-MgLicenseUser)
    Test-That 'five users reprocessed from the pipeline' { $many.Count -eq 5 }

    Disconnect-MgGraph | Out-Null
    Test-That 'Disconnect-MgGraph' { $null -eq (Get-MgContext) }
} catch {
    $script:failed++
    Write-Host "FAIL $($_.Exception.Message)"
} finally {
    if ($process -and -not $process.HasExited) {
        try { $process.StandardInput.Close() } catch { }
        if (-not $process.WaitForExit(5000)) { $process.Kill($true) }
    }
}

Write-Host "smoke: $script:passed passed, $script:failed failed"
exit ([int] ($script:failed -gt 0))
