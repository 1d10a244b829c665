# The module's P/Invoke declarations and status codes against the C header they mirror
# (crates/mglicense-ffi/include/mglicense.h): read from the compiled MgLicense.dll by reflection, so a
# signature that drifted from the header fails here instead of corrupting a call.

BeforeDiscovery {
    . $PSScriptRoot/Common.ps1
    Import-MgLicense
    $assembly = (Get-Module MgLicense).ImplementingAssembly
    $script:Declarations = foreach ($type in $assembly.GetTypes()) {
        foreach ($method in $type.GetMethods([System.Reflection.BindingFlags] 'Static, Public, NonPublic')) {
            # The engine's entry points only: the module also calls the system's loader (LoadLibraryExW on .NET Framework).
            $import = if ($method.Attributes -band [System.Reflection.MethodAttributes]::PinvokeImpl) { $method.GetCustomAttributes([System.Runtime.InteropServices.DllImportAttribute], $false)[0] }
            if ($import -and $import.Value -eq 'mglicense_ffi') {
                @{ Method = $method; Name = $import.EntryPoint }
            }
        }
    }
}

BeforeAll {
    . $PSScriptRoot/Common.ps1
    Import-MgLicense
    $script:Assembly = (Get-Module MgLicense).ImplementingAssembly
    $header = Get-Content -Raw (Join-Path $RepoRoot 'crates/mglicense-ffi/include/mglicense.h')
    $code = $header -replace '//[^\n]*', ''

    # C type in the header -> the .NET type its P/Invoke parameter must have.
    $mapping = @{
        'void'            = 'System.Void'
        'uint32_t'        = 'System.UInt32'
        'MglStatus'       = 'MgLicense.Native.MglStatus'
        'MglHandle'       = 'System.UInt64'
        'MglHandle *'     = 'System.UInt64&'
        'uint64_t *'      = 'System.UInt64&'
        'const uint8_t *' = 'System.Byte*'
        'const struct MglBytes *' = 'MgLicense.Native.MglBytes*'
        'struct MglBytes *' = 'MgLicense.Native.MglBytes*'
        'size_t'          = 'System.UIntPtr'
        'char **'         = 'System.IntPtr&'
        'char *'          = 'System.IntPtr'
    }

    function ConvertTo-NetType([string] $CType) {
        $key = ($CType -replace '\s*\*', ' *' -replace '\* \*', '**' -replace '\s+', ' ').Trim()
        if (-not $mapping.ContainsKey($key)) { throw "The header uses a C type this test does not map: '$key'." }
        $mapping[$key]
    }

    $script:HeaderFunctions = @{}
    foreach ($match in [regex]::Matches($code, '(?<ret>[A-Za-z_0-9]+\s*\**)\s*\b(?<name>mgl_[a-z_]+)\s*\((?<params>[^)]*)\)\s*;')) {
        $parameters = @(foreach ($parameter in $match.Groups['params'].Value -split ',') {
                $parameter = ($parameter -replace '\s+', ' ').Trim()
                if ($parameter -and $parameter -ne 'void') {
                    # Everything but the name: "const uint8_t *json" -> "const uint8_t *".
                    ConvertTo-NetType ($parameter -replace '[A-Za-z_0-9]+$', '')
                }
            })
        $script:HeaderFunctions[$match.Groups['name'].Value] = @{ Return = ConvertTo-NetType $match.Groups['ret'].Value; Parameters = $parameters }
    }

    $script:HeaderStatuses = @{}
    foreach ($match in [regex]::Matches($code, '\bMGL_([A-Z_0-9]+)\s*=\s*(\d+)')) {
        $script:HeaderStatuses[$match.Groups[1].Value.Replace('_', '')] = [uint32] $match.Groups[2].Value
    }

    $script:HeaderAbiVersion = [uint32] [regex]::Match($header, '#define MGL_ABI_VERSION (\d+)').Groups[1].Value
}

AfterAll { Remove-Module MgLicense -ErrorAction Ignore }

Describe 'The C ABI as the module declares it' {
    It 'reads functions and status codes from the header' {
        $HeaderFunctions.Count | Should -BeGreaterThan 20
        $HeaderStatuses['PANIC'] | Should -Be 999
    }

    It 'declares <Name> exactly as the header does' -ForEach $Declarations {
        $HeaderFunctions.ContainsKey($Name) | Should -BeTrue -Because "$Name must be a function of mglicense.h"
        $expected = $HeaderFunctions[$Name]
        $Method.ReturnType.FullName | Should -Be $expected.Return
        ($Method.GetParameters().ParameterType.FullName -join ', ') | Should -Be ($expected.Parameters -join ', ')
    }

    It 'has every status code of the header, with the same number, and no other' {
        $type = $Assembly.GetType('MgLicense.Native.MglStatus', $true)
        [System.Enum]::GetUnderlyingType($type) | Should -Be ([uint32])
        $declared = @{}
        foreach ($name in [System.Enum]::GetNames($type)) { $declared[$name.ToUpperInvariant()] = [uint32] [System.Enum]::Parse($type, $name) }

        Join-Sorted $declared.Keys | Should -BeExactly (Join-Sorted $HeaderStatuses.Keys)
        foreach ($name in $HeaderStatuses.Keys) { $declared[$name] | Should -Be $HeaderStatuses[$name] -Because "MGL_$name" }
    }

    It 'expects the ABI version the header defines' {
        $field = $Assembly.GetType('MgLicense.Native.NativeMethods', $true).GetField('ExpectedAbiVersion', [System.Reflection.BindingFlags] 'Static, NonPublic, Public')
        $field.GetValue($null) | Should -Be $HeaderAbiVersion
    }
}
