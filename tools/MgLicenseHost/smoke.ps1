# Smoke test for mglhost: what a build script and the module need from a host.
# Runs under mglhost and under pwsh alike, with Microsoft.PowerShell.Core only:
#
#   out/host/mglhost -NoProfile -File tools/MgLicenseHost/smoke.ps1 -Name Contoso
#   out/host/mglhost -File tools/MgLicenseHost/smoke.ps1 -Prompt     # also asks a -Confirm question
#
# Prints one error on stderr on purpose (marked "expected"); exits 0 when every check passes.
[CmdletBinding()]
param(
    [string] $Name = 'World',
    [switch] $Prompt
)

$script:failures = 0
function Assert-That([bool] $Condition, [string] $What) {
    if ($Condition) {
        $Host.UI.WriteLine("ok   - $What")
    } else {
        $script:failures++
        $Host.UI.WriteErrorLine("FAIL - $What")
    }
}

$Host.UI.WriteLine("== host: $($Host.Name) $($Host.Version), engine $($PSVersionTable.PSVersion), width $($Host.UI.RawUI.BufferSize.Width)")
if ($PSBoundParameters.ContainsKey('Name')) {
    Assert-That ($Name -ne 'World') "-Name bound by name from the command line (got '$Name')"
}
Assert-That ($env:POWERSHELL_TELEMETRY_OPTOUT -eq '1' -or $Host.Name -eq 'ConsoleHost') 'telemetry is opted out'

$Host.UI.WriteLine('== formatting (a table through Out-Default)')
[pscustomobject]@{ SkuPartNumber = 'ENTERPRISEPACK'; ConsumedUnits = 3 },
[pscustomobject]@{ SkuPartNumber = 'EMS'; ConsumedUnits = 12 } | Out-Default

$Host.UI.WriteLine('== streams')
function Show-Streams {
    [CmdletBinding()]
    param()
    $PSCmdlet.WriteWarning('a warning')
    $PSCmdlet.WriteVerbose('a verbose line')
    $PSCmdlet.WriteDebug('a debug line')
    $PSCmdlet.WriteInformation('an information record', [string[]] @())
    foreach ($i in 1..5) {
        $record = [System.Management.Automation.ProgressRecord]::new(1, 'Reprocessing licenses', "user $i of 5")
        $record.PercentComplete = $i * 20
        $PSCmdlet.WriteProgress($record)
        [System.Threading.Thread]::Sleep(50)
    }
    $done = [System.Management.Automation.ProgressRecord]::new(1, 'Reprocessing licenses', 'done')
    $done.RecordType = [System.Management.Automation.ProgressRecordType]::Completed
    $PSCmdlet.WriteProgress($done)
}
$DebugPreference = 'Continue'
Show-Streams -Verbose -InformationAction Continue
$DebugPreference = 'SilentlyContinue'

$Host.UI.WriteLine('== a non-terminating error (expected, on stderr)')
Get-Command Get-NoSuchThing
Assert-That (-not $?) '$? is false after a failed command'

$Host.UI.WriteLine('== native commands')
& dotnet --version
Assert-That ($LASTEXITCODE -eq 0) "dotnet --version set `$LASTEXITCODE to 0 (got $LASTEXITCODE)"
if ($IsWindows) { & cmd /c 'exit 3' } else { & sh -c 'echo "to stderr" >&2; exit 3' }
Assert-That ($LASTEXITCODE -eq 3) "a failing native command set `$LASTEXITCODE to 3 (got $LASTEXITCODE)"

if ($Prompt) {
    $Host.UI.WriteLine('== a -Confirm prompt (answer from stdin)')
    function Invoke-Reprocess {
        [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'High')]
        param([Parameter(Mandatory)][string] $UserId)
        if ($PSCmdlet.ShouldProcess($UserId, 'Reprocess license assignment')) { "reprocessed $UserId" }
    }
    Invoke-Reprocess -UserId 'adele@contoso.example'
}

$Host.UI.WriteLine("== $(if ($script:failures) { "$script:failures check(s) failed" } else { 'all checks passed' })")
exit ([int] [bool] $script:failures)
