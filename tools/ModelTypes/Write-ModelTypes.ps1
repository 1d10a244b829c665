# Writes module/MgLicense/MgLicense.types.ps1xml: the official models' properties that an output object may lack, and
# ToJsonString(), for each official type name MgLicense writes. The property names are read from the Microsoft Graph
# .NET SDK's models (Microsoft.Graph, from NuGet; the same OpenAPI description generates the PowerShell SDK's models),
# so they are not typed from memory. Run it after changing the Microsoft.Graph version or MgLicense's User model:
#
#   dotnet build module/MgLicense -c Release
#   ./build.sh pwsh -File tools/ModelTypes/Write-ModelTypes.ps1
#
# Each name becomes a ScriptProperty of the type whose value is $null (a NoteProperty of a types file would hold an
# empty string). PowerShell keeps type members once per type, not per object, so 300,000 users cost nothing more, and
# an object's own property of the same name wins over it.
param(
    [string] $GraphVersion = '6.10.0',
    [string] $Packages = $(if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget/packages' }),
    [string] $Module = (Join-Path $PSScriptRoot '../../module/MgLicense/bin/Release/netstandard2.0/MgLicense.dll'),
    [string] $OutFile = (Join-Path $PSScriptRoot '../../module/MgLicense/MgLicense.types.ps1xml')
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

# Microsoft.Graph and what its models' property types need.
foreach ($name in 'microsoft.kiota.abstractions', 'microsoft.graph.core', 'microsoft.graph') {
    $folder = Get-ChildItem (Join-Path $Packages $name) -Directory | Sort-Object { [version]$_.Name } | Select-Object -Last 1
    if ($name -eq 'microsoft.graph') { $folder = Get-Item (Join-Path $Packages $name $GraphVersion) }
    $dll = Get-ChildItem (Join-Path $folder.FullName 'lib/netstandard2.0') -Filter *.dll | Select-Object -First 1
    $null = [System.Reflection.Assembly]::LoadFrom($dll.FullName)
}

# Kiota's own members, not the models': the PowerShell SDK keeps unknown properties in AdditionalProperties instead.
$kiotaOnly = 'AdditionalData', 'BackingStore', 'OdataType'
function Get-ModelProperty([string] $Model) {
    $type = [Microsoft.Graph.Models.User].Assembly.GetType("Microsoft.Graph.Models.$Model", $true)
    $type.GetProperties() | ForEach-Object Name | Where-Object { $_ -notin $kiotaOnly } | Sort-Object -Unique
}

# MgLicense's User class declares most user properties itself; only the others are added to its types.
$declared = [System.Reflection.Assembly]::LoadFrom((Resolve-Path $Module)).GetType('MgLicense.Models.User', $true).GetProperties().Name
$types = [ordered]@{
    'Microsoft.Graph.PowerShell.Models.MicrosoftGraphUser'            = @(Get-ModelProperty User | Where-Object { $_ -notin $declared })
    'Microsoft.Graph.Beta.PowerShell.Models.MicrosoftGraphUser'       = @(Get-ModelProperty User | Where-Object { $_ -notin $declared })
    'Microsoft.Graph.PowerShell.Models.MicrosoftGraphGroup'           = @(Get-ModelProperty Group)
    'Microsoft.Graph.PowerShell.Models.MicrosoftGraphSubscribedSku'   = @(Get-ModelProperty SubscribedSku)
    'Microsoft.Graph.PowerShell.Models.MicrosoftGraphDirectoryObject' = @(Get-ModelProperty DirectoryObject)
}

$xml = [System.Text.StringBuilder]::new()
$null = $xml.AppendLine('<?xml version="1.0" encoding="utf-8"?>')
$null = $xml.AppendLine("<!-- Written by tools/ModelTypes/Write-ModelTypes.ps1 from Microsoft.Graph $GraphVersion's models; do not edit by hand.")
$null = $xml.AppendLine('     Every property of the official model is there (null when Graph did not return it), and ToJsonString(). -->')
$null = $xml.AppendLine('<Types>')
foreach ($typeName in $types.Keys) {
    $null = $xml.AppendLine('  <Type>')
    $null = $xml.AppendLine("    <Name>$typeName</Name>")
    $null = $xml.AppendLine('    <Members>')
    foreach ($property in $types[$typeName]) {
        $null = $xml.AppendLine("      <ScriptProperty><Name>$property</Name><GetScriptBlock>`$null</GetScriptBlock></ScriptProperty>")
    }
    $null = $xml.AppendLine('      <ScriptMethod><Name>ToJsonString</Name><Script>[MgLicense.Models.ModelJson]::ToJsonString($this)</Script></ScriptMethod>')
    $null = $xml.AppendLine('    </Members>')
    $null = $xml.AppendLine('  </Type>')
}
$null = $xml.AppendLine('</Types>')
[System.IO.File]::WriteAllText([System.IO.Path]::GetFullPath($OutFile), $xml.ToString(), [System.Text.UTF8Encoding]::new($false))
foreach ($typeName in $types.Keys) { '{0}: {1} properties' -f $typeName, $types[$typeName].Count }
