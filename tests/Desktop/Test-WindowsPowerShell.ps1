# Checks the packaged module in Windows PowerShell 5.1 itself (powershell.exe), which no Linux machine can run:
#   powershell.exe -NoProfile -ExecutionPolicy Bypass -File tests\Desktop\Test-WindowsPowerShell.ps1 -Module out\MgLicense
# Written for PowerShell 5.1 (no ?., ternaries or PowerShell 7-only .NET APIs). Prints "WindowsPowerShell: N passed, N failed".
param(
    [string] $Module = (Join-Path $PSScriptRoot '..\..\out\MgLicense'),
    # Optional: tests\Desktop\Check's MgLicense.DesktopCheck.exe and the Windows graph-emulator.exe run the engine checks too.
    [string] $DesktopCheck,
    [string] $Emulator
)
$ErrorActionPreference = 'Stop'
$script:passed = 0
$script:failed = 0
function Check([bool] $Condition, [string] $What) {
    if ($Condition) { $script:passed++; Write-Host "  [+] $What" } else { $script:failed++; Write-Host "  [-] $What" }
}

Check ($PSVersionTable.PSEdition -eq 'Desktop') "Windows PowerShell $($PSVersionTable.PSVersion) (Desktop edition)"
$before = @([AppDomain]::CurrentDomain.GetAssemblies() | ForEach-Object { $_.GetName().Name })
Import-Module (Join-Path $Module 'MgLicense.psd1')
$loaded = Get-Module MgLicense
Check ($null -ne $loaded) 'the module imports'
Check (@(Get-Command -Module MgLicense -CommandType Cmdlet).Count -eq 23) 'its 23 cmdlets are exported'
Check ((Get-Alias Invoke-GraphRequest).ResolvedCommandName -eq 'Invoke-MgGraphRequest') 'with the alias Invoke-GraphRequest'
$managed = @(Get-ChildItem -Recurse -Filter *.dll $Module | Where-Object { $_.FullName -notmatch '\\runtimes\\' })
Check ($managed.Count -eq 1 -and $managed[0].Name -eq 'MgLicense.dll') 'the package holds no managed DLL besides its own'
$new = @([AppDomain]::CurrentDomain.GetAssemblies() | ForEach-Object { $_.GetName().Name } | Where-Object { $before -notcontains $_ })
Check (-not ($new | Where-Object { $_ -match '^System\.(Text\.Json|Memory|Buffers|Runtime\.CompilerServices\.Unsafe)$' })) "no System.Text.Json or System.Memory was loaded (new: $($new -join ', '))"

# The native engine, loaded from runtimes\win-x64\native without touching the DLL search path.
$environments = @(Get-MgEnvironment)
Check ($environments.Name -contains 'Global') 'Get-MgEnvironment answers from the engine'
$token = ConvertTo-SecureString 'not-a-jwt-token-for-the-check' -AsPlainText -Force
Connect-MgGraph -AccessToken $token -NoWelcome
Check ((Get-MgContext).AuthType -eq 'UserProvidedAccessToken') 'Connect-MgGraph -AccessToken: the token travels as its own buffer'
$whatIf = @(Invoke-MgLicenseUser -UserId 'someone@contoso.com' -WhatIf -ErrorVariable whatIfErrors)
Check ($whatIf.Count -eq 0 -and $whatIfErrors.Count -eq 0) '-WhatIf sends nothing and writes nothing but its message'
$elsewhere = $null
try { Invoke-MgGraphRequest -Uri 'https://elsewhere.example.invalid/v1.0/me' } catch { $elsewhere = $_ }
Check ($null -ne $elsewhere -and $elsewhere.Exception.Message -like '*not on the connected environment*') 'Invoke-MgGraphRequest refuses another host before sending'
$response = New-Object System.Net.Http.HttpResponseMessage
Check ($null -ne $response) 'System.Net.Http loads for -OutputType HttpResponseMessage'
$null = Disconnect-MgGraph
$searchPath = [Environment]::GetEnvironmentVariable('PATH')
Check ($searchPath -eq [Environment]::GetEnvironmentVariable('PATH', 'Process')) 'PATH is as it was'

if ($DesktopCheck -and $Emulator) {
    & $DesktopCheck $Emulator (Join-Path $PSScriptRoot '..\data\tenant.json')
    Check ($LASTEXITCODE -eq 0) 'the managed checks on .NET Framework (JSON, engine, keys)'
}

Write-Output "WindowsPowerShell: $script:passed passed, $script:failed failed"
if ($script:failed) { exit 1 }
