<#
.SYNOPSIS
    Packages the built module (out/MgLicense) for the PowerShell Gallery: signs it where it can, checks that it
    carries the engine for every runtime it claims, and writes out/MgLicense.<version>.nupkg and
    out/MgLicense-<version>.zip.

.DESCRIPTION
    build.ps1 -Task Package runs it after the Build task. The module is one folder for every platform: MgLicense.dll
    (net8.0), its manifest, format file and help, and the engine for each runtime under runtimes/<rid>/native/. A
    release has both linux-x64 and win-x64; the Linux build makes both (build/windows/cross.sh, docs/windows.md).

    The .nupkg is what Publish-PSResource would upload: a zip with the module's files at its root, a .nuspec made
    from the manifest (id, version, authors, description, tags as PowerShellGet writes them: PSModule,
    PSEdition_Core, PSCmdlet_*, PSCommand_*, PSIncludes_Cmdlet) and the OPC parts NuGet expects. The .zip holds the
    MgLicense/ folder, for copying into a folder of $env:PSModulePath by hand. With -WindowsEmulator,
    out/MgLicense-<version>-tests-win-x64.zip holds the Pester suite to run on a Windows machine (README.md, "Windows").

    Signing (Authenticode): with -CertificatePath (a PFX, with -CertificatePassword) or -CertificateThumbprint (in
    Cert:\CurrentUser\My, then Cert:\LocalMachine\My), the manifest, the format file, MgLicense.dll and each
    runtimes/win-x64 engine DLL are signed with Set-AuthenticodeSignature, SHA-256, before packaging. That cmdlet
    exists only in PowerShell on Windows: elsewhere the task says it cannot sign and packages unsigned. Windows'
    default policy for PowerShell 7, RemoteSigned, refuses the unsigned manifest of a module that came from the
    internet (a Gallery install or a downloaded zip); AllSigned refuses it from anywhere unless signed by a
    publisher the machine trusts (docs/windows.md, "Signing").
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModuleDir,
    [Parameter(Mandatory)] [string] $OutDir,
    [string[]] $RequiredRuntime = @('linux-x64', 'win-x64'),
    [string] $CertificatePath,
    [securestring] $CertificatePassword,
    [string] $CertificateThumbprint,
    # A timestamp server keeps signatures valid after the certificate expires (none is reachable here).
    [string] $TimestampServer,
    # graph-emulator.exe: with it, MgLicense-<version>-tests-win-x64.zip, the Pester suite for a Windows machine.
    [string] $WindowsEmulator
)

$ErrorActionPreference = 'Stop'
$manifestPath = Join-Path $ModuleDir 'MgLicense.psd1'
$manifest = Import-PowerShellDataFile $manifestPath
$version = $manifest.ModuleVersion

# ---- every runtime the package claims, with its engine ------------------------------------------------------
$engines = @{ 'linux-x64' = 'libmglicense_ffi.so'; 'win-x64' = 'mglicense_ffi.dll'; 'osx-x64' = 'libmglicense_ffi.dylib'; 'osx-arm64' = 'libmglicense_ffi.dylib'; 'linux-arm64' = 'libmglicense_ffi.so'; 'win-arm64' = 'mglicense_ffi.dll' }
foreach ($rid in $RequiredRuntime) {
    $engine = Join-Path $ModuleDir "runtimes/$rid/native/$($engines[$rid])"
    if (-not (Test-Path $engine)) {
        throw "The package must carry the engine for $rid, and $engine is missing. Build on Linux with the Windows cross build on (docs/windows.md), or give -RequiredRuntime."
    }
}

# ---- signing ------------------------------------------------------------------------------------------------
$toSign = @(
    (Join-Path $ModuleDir 'MgLicense.psd1'), (Join-Path $ModuleDir 'MgLicense.format.ps1xml'), (Join-Path $ModuleDir 'MgLicense.types.ps1xml'), (Join-Path $ModuleDir 'MgLicense.dll')
) + @(Get-ChildItem (Join-Path $ModuleDir 'runtimes') -Recurse -File -Filter *.dll | ForEach-Object FullName)

if ($CertificatePath -or $CertificateThumbprint) {
    if (-not (Get-Command Set-AuthenticodeSignature -ErrorAction Ignore)) {
        Write-Warning "Set-AuthenticodeSignature exists only in PowerShell on Windows: cannot sign here, so the package is UNSIGNED. Sign on Windows (docs/windows.md, 'Signing')."
    } else {
        $certificate = if ($CertificatePath) {
            [System.Security.Cryptography.X509Certificates.X509CertificateLoader]::LoadPkcs12FromFile(
                $CertificatePath, $(if ($CertificatePassword) { [System.Net.NetworkCredential]::new('', $CertificatePassword).Password } else { $null }))
        } else {
            Get-Item "Cert:\CurrentUser\My\$CertificateThumbprint", "Cert:\LocalMachine\My\$CertificateThumbprint" -ErrorAction Ignore | Select-Object -First 1
        }

        if (-not $certificate -or -not $certificate.HasPrivateKey) { throw 'The signing certificate was not found, or has no private key.' }
        if (-not ($certificate.EnhancedKeyUsageList.ObjectId -contains '1.3.6.1.5.5.7.3.3')) { throw "The certificate $($certificate.Subject) is not for code signing (EKU 1.3.6.1.5.5.7.3.3)." }
        $signing = @{ Certificate = $certificate; HashAlgorithm = 'SHA256' }
        if ($TimestampServer) { $signing.TimestampServer = $TimestampServer }
        foreach ($file in $toSign) {
            $signature = Set-AuthenticodeSignature -FilePath $file @signing
            if (-not $signature.SignerCertificate) { throw "Could not sign ${file}: $($signature.StatusMessage)" }
            # UnknownError is a good signature by a certificate this machine does not trust (a test certificate).
            Write-Host "  signed $([System.IO.Path]::GetRelativePath($ModuleDir, $file)): $($signature.Status)"
        }
    }
} else {
    Write-Host '  not signed (no -CertificatePath or -CertificateThumbprint): a Gallery install runs only where the execution policy allows unsigned modules from the internet'
}

# ---- the .nuspec, from the manifest -------------------------------------------------------------------------
$cmdlets = @($manifest.CmdletsToExport)
$psData = $manifest.PrivateData.PSData
$tags = @('PSModule') + @($psData.Tags) + @($manifest.CompatiblePSEditions | ForEach-Object { "PSEdition_$_" }) +
    @($cmdlets | ForEach-Object { "PSCmdlet_$_"; "PSCommand_$_" }) + @('PSIncludes_Cmdlet') | Select-Object -Unique
$xml = [System.Xml.Linq.XNamespace] 'http://schemas.microsoft.com/packaging/2011/08/nuspec.xsd'
$metadata = [System.Xml.Linq.XElement]::new($xml + 'metadata')
$fields = [ordered]@{
    id = 'MgLicense'; version = $version; authors = $manifest.Author; owners = $manifest.CompanyName
    requireLicenseAcceptance = 'false'; licenseUrl = $psData.LicenseUri; projectUrl = $psData.ProjectUri
    description = $manifest.Description; copyright = $manifest.Copyright; tags = $tags -join ' '
}
foreach ($name in $fields.Keys) {
    if ($fields[$name]) { $metadata.Add([System.Xml.Linq.XElement]::new($xml + $name, [string] $fields[$name])) }
}
$nuspec = '<?xml version="1.0" encoding="utf-8"?>' + "`n" + [System.Xml.Linq.XElement]::new($xml + 'package', $metadata).ToString()

# ---- the .nupkg and the .zip --------------------------------------------------------------------------------
function Add-Entry($Archive, [string] $Name, [byte[]] $Bytes) {
    $entry = $Archive.CreateEntry($Name, [System.IO.Compression.CompressionLevel]::Optimal)
    $stream = $entry.Open()
    try { $stream.Write($Bytes, 0, $Bytes.Length) } finally { $stream.Dispose() }
}

# A zip of Files (entry name -> file) and Extra (entry name -> text); entries use '/', whatever the platform.
function New-Archive([string] $Path, [System.Collections.IDictionary] $Files, [hashtable] $Extra = @{}) {
    if (Test-Path $Path) { Remove-Item $Path }
    $archive = [System.IO.Compression.ZipFile]::Open($Path, [System.IO.Compression.ZipArchiveMode]::Create)
    try {
        foreach ($name in $Files.Keys) { Add-Entry $archive $name ([System.IO.File]::ReadAllBytes($Files[$name])) }
        foreach ($name in $Extra.Keys | Sort-Object) { Add-Entry $archive $name ([System.Text.Encoding]::UTF8.GetBytes($Extra[$name])) }
    } finally {
        $archive.Dispose()
    }
    Write-Host "  $([System.IO.Path]::GetFileName($Path)) ($((Get-Item $Path).Length) bytes)"
}

# The files under Dir as entry names under Prefix.
function Get-Tree([string] $Dir, [string] $Prefix) {
    $files = [ordered]@{}
    foreach ($file in Get-ChildItem $Dir -Recurse -File | Sort-Object FullName) {
        $files[$Prefix + [System.IO.Path]::GetRelativePath($Dir, $file.FullName).Replace('\', '/')] = $file.FullName
    }
    $files
}

$contentTypes = '<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">' +
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml" />' +
    '<Default Extension="nuspec" ContentType="application/octet-stream" />' +
    '<Default Extension="psmdcp" ContentType="application/vnd.openxmlformats-package.core-properties+xml" />' +
    (@(Get-ChildItem $ModuleDir -Recurse -File | ForEach-Object { $_.Extension.TrimStart('.') } | Where-Object { $_ } | Sort-Object -Unique |
        ForEach-Object { "<Default Extension=`"$_`" ContentType=`"application/octet-stream`" />" }) -join '') + '</Types>'
$coreId = [guid]::NewGuid().ToString('N')
$rels = '<?xml version="1.0" encoding="utf-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">' +
    '<Relationship Type="http://schemas.microsoft.com/packaging/2010/07/manifest" Target="/MgLicense.nuspec" Id="R1" />' +
    "<Relationship Type=`"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties`" Target=`"/package/services/metadata/core-properties/$coreId.psmdcp`" Id=`"R2`" /></Relationships>"
$core = '<?xml version="1.0" encoding="utf-8"?><coreProperties xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" ' +
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.openxmlformats.org/package/2006/metadata/core-properties">' +
    "<dc:creator>$([System.Security.SecurityElement]::Escape($manifest.Author))</dc:creator><dc:description>$([System.Security.SecurityElement]::Escape($manifest.Description))</dc:description>" +
    "<dc:identifier>MgLicense</dc:identifier><version>$version</version><keywords>$($tags -join ' ')</keywords></coreProperties>"

New-Archive (Join-Path $OutDir "MgLicense.$version.nupkg") (Get-Tree $ModuleDir '') @{
    'MgLicense.nuspec' = $nuspec; '[Content_Types].xml' = $contentTypes; '_rels/.rels' = $rels
    "package/services/metadata/core-properties/$coreId.psmdcp" = $core
}
New-Archive (Join-Path $OutDir "MgLicense-$version.zip") (Get-Tree $ModuleDir 'MgLicense/')

# The Pester suite for a Windows machine without Rust or the repository: the module, the Windows emulator and what
# the tests read, laid out as in the repository (README.md, "Windows").
if ($WindowsEmulator -and (Test-Path $WindowsEmulator)) {
    $root = Split-Path $PSScriptRoot
    $files = Get-Tree $ModuleDir 'MgLicense/'
    $files['graph-emulator.exe'] = $WindowsEmulator
    $files['crates/mglicense-ffi/include/mglicense.h'] = Join-Path $root 'crates/mglicense-ffi/include/mglicense.h'
    foreach ($tree in (Get-Tree (Join-Path $root 'tests') 'tests/'), (Get-Tree (Join-Path $root 'examples') 'examples/')) {
        foreach ($name in $tree.Keys) {
            if ($name -match '^tests/([^/]+\.ps1|README\.md|data/.*|support/.*)$' -or $name -like 'examples/*') { $files[$name] = $tree[$name] }
        }
    }
    New-Archive (Join-Path $OutDir "MgLicense-$version-tests-win-x64.zip") $files
} else {
    Write-Host "  no Windows emulator ($WindowsEmulator): no test bundle"
}
