# Pester itself in the win-x64 pwsh under Wine: it imports, discovers, runs and reports.
Describe 'PowerShell 7 on Windows, as Wine runs it' {
    It 'is PowerShell <Expected> on Windows' -TestCases @{ Expected = '7.6' } {
        param($Expected)
        $PSVersionTable.PSVersion.ToString() | Should -BeLike "$Expected.*"
        $IsWindows | Should -BeTrue
    }

    It 'writes and reads a file with Windows line endings' {
        $file = Join-Path ([System.IO.Path]::GetTempPath()) "mgl-$([guid]::NewGuid()).txt"
        Set-Content -Path $file -Value 'a', 'b'
        [System.IO.File]::ReadAllText($file) | Should -Be "a`r`nb`r`n"
        Remove-Item $file
    }

    It 'has the built-in modules in $PSHOME' {
        Get-Command ConvertTo-Json, Export-Csv, Get-ChildItem | Should -HaveCount 3
    }
}
