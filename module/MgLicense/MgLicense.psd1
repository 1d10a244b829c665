# Module manifest for MgLicense: what PowerShell reads before it loads anything, so exports are listed, never discovered.
@{
    RootModule           = 'MgLicense.dll'
    ModuleVersion        = '0.1.0'
    CompatiblePSEditions = @('Desktop', 'Core')
    GUID                 = 'edf2211d-7537-417f-abe8-b6df353b8baf'
    Author               = 'MgLicense contributors'
    CompanyName          = 'MgLicense'
    Copyright            = '(c) MgLicense contributors. MIT License.'
    Description          = 'Reprocess Microsoft Graph group-based license assignments. A drop-in for Invoke-MgLicenseUser that imports in milliseconds and carries no managed dependencies.'
    PowerShellVersion    = '5.1'
    # One netstandard2.0 assembly for both editions; .NET Framework 4.7.2 is the first to carry netstandard2.0 itself.
    DotNetFrameworkVersion = '4.7.2'
    FormatsToProcess     = @('MgLicense.format.ps1xml')
    # Every property of the official models (null when Graph did not return it) and ToJsonString(), once per type.
    TypesToProcess       = @('MgLicense.types.ps1xml')
    CmdletsToExport      = @(
        'Invoke-MgLicenseUser'
        'Invoke-MgBetaLicenseUser'
        'Invoke-MgBetaLicenseUser2'
        'Invoke-MgBetaReprocessUserCloudLicensingAssignment'
        'Get-MgUser'
        'Get-MgGroup'
        'Get-MgGroupMemberWithLicenseError'
        'Get-MgSubscribedSku'
        'Get-MgUserLicenseDetail'
        'Get-MgGroupMember'
        'Update-MgUser'
        'Set-MgUserLicense'
        'New-MgGroupMember'
        'Remove-MgGroupMemberByRef'
        'Connect-MgGraph'
        'Disconnect-MgGraph'
        'Get-MgContext'
        'Get-MgEnvironment'
        'Add-MgEnvironment'
        'Set-MgEnvironment'
        'Remove-MgEnvironment'
        'Get-MgRequestContext'
        'Set-MgRequestContext'
        'Invoke-MgGraphRequest'
        'Install-MgLicenseCompatibilityModule'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @('Connect-Graph', 'Disconnect-Graph', 'Invoke-GraphRequest')
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('MicrosoftGraph', 'Graph', 'License', 'GroupBasedLicensing', 'PSEdition_Desktop', 'PSEdition_Core', 'Windows', 'Linux')
            LicenseUri = 'https://opensource.org/licenses/MIT'
        }
    }
}
