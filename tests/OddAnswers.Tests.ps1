# Valid but odd answers from Graph: JSON nested deeper than usual and strings with unpaired surrogates are
# read as they came, never thrown; what is not an object where a user is expected (scalar items of a page,
# an array for a reprocess answer) is an error for its input, not dropped. A loopback stub plays Graph.

BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Emulator = Start-TestEmulator
    # Connects to a stub that answers every request with 200 and the JSON -Body (ASCII), runs -Test with
    # the stub as its argument, then disconnects and stops the stub.
    function Use-AnsweringStub([string] $Body, [scriptblock] $Test) {
        $stub = New-StubGraph "HTTP/1.1 200 OK`r`nContent-Type: application/json`r`nContent-Length: $($Body.Length)`r`n`r`n$Body"
        try {
            $environment = Connect-StubGraph $stub (New-TestToken User.ReadWrite.All)
            & $Test $stub
        } finally {
            Disconnect-MgGraph -ErrorAction Ignore | Out-Null
            if ($environment -and (Get-MgEnvironment -Name $environment -ErrorAction Ignore)) { Remove-MgEnvironment -Name $environment }
            $stub.Dispose()
        }
    }

    # A string's UTF-16 code units, in hex: unpaired surrogates compared exactly, and shown when they differ.
    function ConvertTo-CodeUnit([string] $Text) { ($Text.ToCharArray() | ForEach-Object { '{0:X4}' -f [int] $_ }) -join ' ' }
}

AfterAll { Stop-TestEmulator $script:Emulator }

Describe 'Odd but valid JSON answers' {
    It 'reads an answer nested deeper than 64 levels for every piped input' {
        $body = '{"id":"deep","x":' + ('[' * 100) + (']' * 100) + '}'

        Use-AnsweringStub $body {
            param($graph)
            $result = Invoke-Captured { 'u1', 'u2', 'u3' | Invoke-MgLicenseUser }

            $result.Terminating | Should -BeNullOrEmpty
            $result.Errors | Should -HaveCount 0
            $result.Output | Should -HaveCount 3
            ($result.Output.Id -join '|') | Should -BeExactly 'deep|deep|deep'
            $graph.Requests | Should -Be 3
        }
    }

    It 'keeps a lone surrogate in an answer as it came' {
        Use-AnsweringStub '{"id":"a\ud800b","displayName":"\udc00","x\ud800":["\ud800"]}' {
            $result = Invoke-Captured { 'u1', 'u2' | Invoke-MgLicenseUser | ForEach-Object { $_.Id; $_.DisplayName } }

            $result.Terminating | Should -BeNullOrEmpty
            $result.Errors | Should -HaveCount 0
            $result.Output | Should -HaveCount 4
            foreach ($o in $result.Output) { $o | Should -BeOfType [string] }
            $expected = "a$([char]0xD800)b", "$([char]0xDC00)", "a$([char]0xD800)b", "$([char]0xDC00)"
            ($result.Output | ForEach-Object { ConvertTo-CodeUnit $_ }) -join '|' | Should -BeExactly (($expected | ForEach-Object { ConvertTo-CodeUnit $_ }) -join '|')
        }
    }
}

Describe 'A page whose short strings repeat' {
    It 'reads every string of a page as it came, repeated, colliding, escaped or beyond ASCII' {
        # 300 distinct short ids cannot all have a slot of their own among the reader's 256: some collide.
        $names = 'Adele', 'Adele', '\u00e9', '\u00c3\u00a9', 'Ad\"ele', 'Adele\u0000', 'Adele'
        $users = foreach ($n in 1..300) { '{"id":"u' + $n + '","displayName":"' + $names[$n % $names.Count] + '","jobTitle":"' + ('A', 'B')[$n % 2] + '"}' }
        $expected = foreach ($n in 1..300) {
            $name = ('Adele', 'Adele', "$([char]0xE9)", "$([char]0xC3)$([char]0xA9)", 'Ad"ele', "Adele$([char]0)", 'Adele')[$n % $names.Count]
            "u$n|$name|$(('A', 'B')[$n % 2])"
        }

        Use-AnsweringStub ('{"value":[' + ($users -join ',') + ']}') {
            $result = Invoke-Captured { Get-MgUser -All | ForEach-Object { "$($_.Id)|$($_.DisplayName)|$($_.JobTitle)" } }

            $result.Terminating | Should -BeNullOrEmpty
            $result.Errors | Should -HaveCount 0
            $result.Output | Should -HaveCount 300
            ($result.Output | ForEach-Object { ConvertTo-CodeUnit $_ }) -join '|' | Should -BeExactly (($expected | ForEach-Object { ConvertTo-CodeUnit $_ }) -join '|')
        }
    }
}

Describe 'Answers that are not the object expected' {
    It 'ends a read whose page holds an item that is not an object with one error naming the item' {
        Use-AnsweringStub '{"value":[{"id":"a"},1,"x",null,{"id":"b"}]}' {
            $caught = $null
            try { $all = @(Get-MgUser 2>&1) } catch { $caught = $_ }

            $caught | Should -BeNullOrEmpty
            # The engine refuses the page as a whole: no object of a broken page is handed over.
            $all | Should -HaveCount 1
            $all[0] | Should -BeOfType [System.Management.Automation.ErrorRecord]
            $all[0].FullyQualifiedErrorId | Should -BeExactly 'TransportError,Microsoft.Graph.PowerShell.Cmdlets.GetMgUser_List'
            $all[0].Exception.Message | Should -BeLikeExactly '*lists a number as object 2 of 5*'
        }
    }

    It 'writes a reprocess answer that is an array as an error for its input' {
        Use-AnsweringStub '[{"id":"a"}]' {
            $caught = $null
            try { $all = @('u1', 'u2' | Invoke-MgLicenseUser 2>&1) } catch { $caught = $_ }

            $caught | Should -BeNullOrEmpty
            $all | Should -HaveCount 2
            foreach ($o in $all) { $o | Should -BeOfType [System.Management.Automation.ErrorRecord] }
        }
    }
}
