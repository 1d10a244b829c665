# Invoke-MgGraphRequest against the emulator: every parameter, what goes on the wire, what comes out for each
# -OutputType, Graph's refusals as the official cmdlet reports them, input refused before anything is sent, and no
# token in any output.

BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Emulator = Start-TestEmulator
    $script:Token = New-TestToken User.ReadWrite.All, Directory.ReadWrite.All
    Connect-TestEmulator $Token
    $script:Work = Join-Path ([System.IO.Path]::GetTempPath()) "mglicense-invoke-$PID"
    $null = New-Item -ItemType Directory -Force $Work

    # A $batch body that reads one user: the emulator's answer shows that the body arrived as JSON.
    $script:BatchJson = '{"requests":[{"id":"1","method":"GET","url":"/users?$top=1&$select=id"}]}'
    $script:FirstUserId = (Get-GraphList $Token '/v1.0/users')[0].id
}

AfterAll {
    Set-EmulatorFault @{ rules = @() }
    Remove-Item -Recurse -Force $script:Work -ErrorAction Ignore
    Stop-TestEmulator $script:Emulator
}

Describe 'Invoke-MgGraphRequest: the official contract' {
    It 'has the official parameters, positions, aliases and defaults' {
        $command = Get-Command Invoke-MgGraphRequest -ErrorAction Stop
        $command.DefaultParameterSet | Should -BeExactly 'UserParameterSet'
        $lines = foreach ($name in 'Method', 'Uri', 'Body', 'Headers', 'OutputFilePath', 'InferOutputFileName', 'InputFilePath', 'PassThru',
            'SkipHeaderValidation', 'ContentType', 'SessionVariable', 'ResponseHeadersVariable', 'StatusCodeVariable', 'SkipHttpErrorCheck',
            'GraphRequestSession', 'UserAgent', 'OutputType') {
            $p = $command.Parameters[$name]
            $a = $p.ParameterSets['UserParameterSet']
            '{0}|{1}|{2}|{3}|{4}' -f $name, $a.Position, $a.IsMandatory, $a.ValueFromPipeline, ($p.Aliases -join ',')
        }

        $lines -join "`n" | Should -BeExactly (@(
                'Method|1|False|False|', 'Uri|2|True|False|', 'Body|3|False|True|', 'Headers|4|False|False|', 'OutputFilePath|5|False|False|',
                'InferOutputFileName|6|False|False|', 'InputFilePath|7|False|False|', 'PassThru|8|False|False|', 'SkipHeaderValidation|10|False|False|',
                'ContentType|11|False|False|', 'SessionVariable|13|False|False|SV', 'ResponseHeadersVariable|14|False|False|RHV',
                'StatusCodeVariable|15|False|False|', 'SkipHttpErrorCheck|16|False|False|', 'GraphRequestSession|17|False|False|',
                'UserAgent|18|False|False|', 'OutputType|19|False|False|') -join "`n")
        [enum]::GetNames($command.Parameters['Method'].ParameterType) -join ',' | Should -BeExactly 'GET,POST,PUT,PATCH,DELETE'
        [enum]::GetNames($command.Parameters['OutputType'].ParameterType) -join ',' | Should -BeExactly 'HashTable,PSObject,HttpResponseMessage,Json'
        (Get-Alias Invoke-GraphRequest).ResolvedCommandName | Should -BeExactly 'Invoke-MgGraphRequest'
    }

    It 'GETs a relative versioned path by default and writes a hashtable with case-insensitive keys' -ForEach @(
        @{ Uri = 'v1.0/users?$top=2' }, @{ Uri = '/v1.0/users?$top=2' }
    ) {
        $mark = Get-RequestMark
        $result = Invoke-MgGraphRequest -Uri $Uri
        $sent = @(Get-RequestSince $mark)

        $sent | Should -HaveCount 1
        $sent[0].method | Should -BeExactly 'GET'
        $sent[0].path | Should -BeExactly '/v1.0/users'
        $sent[0].query | Should -BeExactly '$top=2'
        $result | Should -BeOfType [hashtable]
        $result.value | Should -HaveCount 2
        $result.VALUE[0].ID | Should -BeExactly $result.value[0].id
    }

    It 'takes an absolute URL on the connected endpoint and the beta version' {
        $mark = Get-RequestMark
        $result = Invoke-MgGraphRequest -Method GET -Uri "$($Emulator.Url)/beta/subscribedSkus"
        (Get-RequestSince $mark).path | Should -BeExactly '/beta/subscribedSkus'
        $result.value.Count | Should -BeGreaterThan 0
    }

    It '-OutputType PSObject, Json and HttpResponseMessage' {
        $object = Invoke-MgGraphRequest -Uri "v1.0/users/$FirstUserId" -OutputType PSObject
        $object | Should -BeOfType [pscustomobject]
        $object.id | Should -BeExactly $FirstUserId
        $object.PSObject.Properties.Name | Should -Contain '@odata.context'

        $json = Invoke-MgGraphRequest -Uri "v1.0/users/$FirstUserId" -OutputType Json
        $json | Should -BeOfType [string]
        ($json | ConvertFrom-Json).id | Should -BeExactly $FirstUserId

        $message = Invoke-MgGraphRequest -Uri "v1.0/users/$FirstUserId" -OutputType HttpResponseMessage
        $message | Should -BeOfType [System.Net.Http.HttpResponseMessage]
        [int] $message.StatusCode | Should -Be 200
        $message.Content.Headers.ContentType.MediaType | Should -BeExactly 'application/json'
        ($message.Content.ReadAsStringAsync().GetAwaiter().GetResult() | ConvertFrom-Json).id | Should -BeExactly $FirstUserId
        $message.Headers.Contains('request-id') | Should -BeTrue
        $message.RequestMessage.RequestUri.AbsolutePath | Should -BeExactly "/v1.0/users/$FirstUserId"
        "$($message.RequestMessage.Headers)" | Should -Not -Match 'Authorization'
    }

    It '-StatusCodeVariable and -ResponseHeadersVariable (alias RHV) are set in the caller''s scope' {
        $null = Invoke-MgGraphRequest -Uri 'v1.0/groups' -StatusCodeVariable code -RHV headers
        $code | Should -Be 200
        $headers.GetType().Name | Should -BeExactly 'Dictionary`2'
        $headers.GetType().GenericTypeArguments[1].Name | Should -BeExactly 'IEnumerable`1'
        @($headers['Request-Id']).Count | Should -Be 1
    }

    It 'a dictionary body with GET becomes the query, as in the official cmdlet' {
        $mark = Get-RequestMark
        $result = Invoke-MgGraphRequest -Uri 'v1.0/users' -Body @{ '$top' = 1 }
        (Get-RequestSince $mark).query | Should -BeExactly '$top=1'
        $result.value | Should -HaveCount 1
    }
}

Describe 'Invoke-MgGraphRequest: bodies' {
    It 'sends -Body as <Kind> and Graph reads it' -ForEach @(
        @{ Kind = 'a hashtable'; Body = { @{ requests = @(@{ id = '1'; method = 'GET'; url = '/users?$top=1&$select=id' }) } } }
        @{ Kind = 'a PSCustomObject'; Body = { [pscustomobject]@{ requests = @([pscustomobject]@{ id = '1'; method = 'GET'; url = '/users?$top=1&$select=id' }) } } }
        @{ Kind = 'a JSON string'; Body = { $BatchJson } }
        @{ Kind = 'bytes'; Body = { , [System.Text.Encoding]::UTF8.GetBytes($BatchJson) }; ContentType = 'application/json' }
    ) {
        $arguments = @{ Method = 'POST'; Uri = 'v1.0/$batch'; Body = (& $Body) }
        if ($ContentType) { $arguments.ContentType = $ContentType }
        $mark = Get-RequestMark
        $result = Invoke-MgGraphRequest @arguments
        $sent = @(Get-RequestSince $mark | Where-Object { -not $_.batch })

        $sent[0].path | Should -BeExactly '/v1.0/$batch'
        Get-SentHeader $sent[0] 'Content-Type' | Should -BeExactly 'application/json'
        $result.responses[0].status | Should -Be 200
        $result.responses[0].body.value[0].id | Should -BeExactly $FirstUserId
    }

    It 'takes the body from the pipeline' {
        $result = @{ requests = @(@{ id = '7'; method = 'GET'; url = "/users/$FirstUserId" }) } | Invoke-MgGraphRequest -Method POST -Uri 'v1.0/$batch'
        $result.responses[0].id | Should -BeExactly '7'
        $result.responses[0].body.id | Should -BeExactly $FirstUserId
    }

    It 'sends -InputFilePath as the body, with -ContentType' {
        $file = Join-Path $Work 'batch.json'
        [System.IO.File]::WriteAllText($file, $BatchJson)
        $mark = Get-RequestMark
        $result = Invoke-MgGraphRequest -Method POST -Uri 'v1.0/$batch' -InputFilePath $file -ContentType 'application/json; charset=utf-8'
        Get-SentHeader @(Get-RequestSince $mark)[0] 'Content-Type' | Should -BeExactly 'application/json; charset=utf-8'
        $result.responses[0].body.value[0].id | Should -BeExactly $FirstUserId
    }

    It 'writes nested values, numbers, booleans, dates, enums and nulls as JSON (-Debug shows the body sent)' {
        $body = [ordered]@{
            n = 42; big = [long]::MaxValue; f = 1.5; t = $true; none = $null; when = [datetime]::new(2026, 1, 2, 3, 4, 5, [DateTimeKind]::Utc)
            kind = [System.DayOfWeek]::Monday; list = 1, 'two'; nested = [pscustomobject]@{ deep = @{ deeper = 'yes' } }
        }
        $run = Invoke-Captured { Invoke-MgGraphRequest -Method PUT -Uri 'v1.0/users/x' -Body $body -SkipHttpErrorCheck -Debug } -Keep body
        $request = @($run.Debug)[0]
        $sent = $request.Substring($request.IndexOf("Body:`n") + 6) | ConvertFrom-Json

        $sent.n | Should -Be 42
        $sent.big | Should -Be ([long]::MaxValue)
        $sent.f | Should -Be 1.5
        $sent.t | Should -BeTrue
        $sent.PSObject.Properties['none'].Value | Should -BeNullOrEmpty
        $request | Should -Match '"when": "2026-01-02T03:04:05.0000000Z"'
        $sent.kind | Should -BeExactly 'Monday'
        $sent.list -join ',' | Should -BeExactly '1,two'
        $sent.nested.deep.deeper | Should -BeExactly 'yes'
        $request | Should -Match 'Content-Type\s*: application/json'
    }

    It 'refuses a body that nests itself, before anything is sent' {
        $loop = @{}
        $loop.self = $loop
        $mark = Get-RequestMark
        { Invoke-MgGraphRequest -Method POST -Uri 'v1.0/$batch' -Body $loop } | Should -Throw '*nested deeper than 100 levels*'
        @(Get-RequestSince $mark) | Should -HaveCount 0
    }
}

Describe 'Invoke-MgGraphRequest: headers, user agent and sessions' {
    It 'sends -Headers and -UserAgent; a null header value is left out' {
        $mark = Get-RequestMark
        $null = Invoke-MgGraphRequest -Uri 'v1.0/users?$top=1' -Headers @{ 'x-ms-test' = 'one'; ConsistencyLevel = 'eventual'; 'x-none' = $null } -UserAgent 'Runbook/1.0'
        $sent = @(Get-RequestSince $mark)[0]
        Get-SentHeader $sent 'x-ms-test' | Should -BeExactly 'one'
        Get-SentHeader $sent 'ConsistencyLevel' | Should -BeExactly 'eventual'
        Get-SentHeader $sent 'User-Agent' | Should -BeExactly 'Runbook/1.0'
        Get-SentHeaderName $sent | Should -Not -Contain 'x-none'
    }

    It '-SessionVariable keeps the headers and user agent, -GraphRequestSession sends them again' {
        $null = Invoke-MgGraphRequest -Uri 'v1.0/groups' -Headers @{ 'x-session' = 'kept' } -UserAgent 'Session/2' -SessionVariable session
        $session.Headers['x-session'] | Should -BeExactly 'kept'
        $mark = Get-RequestMark
        $null = Invoke-MgGraphRequest -Uri 'v1.0/groups' -GraphRequestSession $session
        $sent = @(Get-RequestSince $mark)[0]
        Get-SentHeader $sent 'x-session' | Should -BeExactly 'kept'
        Get-SentHeader $sent 'User-Agent' | Should -BeExactly 'Session/2'
        { Invoke-MgGraphRequest -Uri 'v1.0/groups' -GraphRequestSession $session -SessionVariable other } | Should -Throw '*conflicting parameters*GraphRequestSession and SessionVariable*'
    }

    It 'refuses <Why> before anything is sent' -ForEach @(
        @{ Why = 'a header with a line break'; Arguments = @{ Headers = @{ 'x-bad' = "a`r`nInjected: yes" } }; Message = "*header 'x-bad'*control character*" }
        @{ Why = 'an Authorization header'; Arguments = @{ Headers = @{ Authorization = 'Bearer stolen' } }; Message = "*'Authorization' is set by MgLicense*" }
        @{ Why = 'a URL on another host'; Arguments = @{ Uri = 'https://graph.example.invalid/v1.0/users' }; Message = "*not on the connected environment's Graph endpoint*" }
        @{ Why = 'a path without a version'; Arguments = @{ Uri = 'users' }; Message = "*does not start with a Graph version*" }
        @{ Why = 'a path that climbs out of its version'; Arguments = @{ Uri = 'v1.0/../admin' }; Message = "*does not start with a Graph version*" }
        @{ Why = 'a POST without a body'; Arguments = @{ Method = 'POST' }; Message = '*-Body cannot be null when -Method is POST*' }
        @{ Why = '-PassThru without -OutputFilePath'; Arguments = @{ PassThru = $true }; Message = '*parameter is missing: OutputFilePath*' }
        @{ Why = 'a malformed -ContentType'; Arguments = @{ Method = 'PUT'; Body = 'x'; ContentType = 'not a media type' }; Message = "*Content-Type 'not a media type' is not a valid media type*" }
    ) {
        $call = @{ Uri = 'v1.0/users' }
        foreach ($key in $Arguments.Keys) { $call[$key] = $Arguments[$key] }
        $mark = Get-RequestMark
        $caught = $null
        try { Invoke-MgGraphRequest @call -ErrorAction Stop } catch { $caught = $_ }
        $caught | Should -Not -BeNullOrEmpty
        $caught.Exception.Message | Should -BeLike $Message
        $caught.CategoryInfo.Category | Should -Be 'InvalidArgument'
        @(Get-RequestSince $mark) | Should -HaveCount 0
    }

    It 'refuses a -Method the official cmdlet does not have' {
        { Invoke-MgGraphRequest -Method TRACE -Uri 'v1.0/users' } | Should -Throw -ErrorId 'CannotConvertArgumentNoMessage,MgLicense.Commands.InvokeMgGraphRequest'
    }

    It '-SkipHeaderValidation sends a -ContentType the media type parser refuses' {
        $mark = Get-RequestMark
        $null = Invoke-MgGraphRequest -Method PUT -Uri 'v1.0/users/x' -Body 'x' -ContentType 'text/plain; odd' -SkipHeaderValidation -SkipHttpErrorCheck
        Get-SentHeader @(Get-RequestSince $mark)[0] 'Content-Type' | Should -BeExactly 'text/plain; odd'
    }
}

Describe 'Invoke-MgGraphRequest: files' {
    It '-OutputFilePath saves the answer and writes nothing; -PassThru writes it too' {
        $file = Join-Path $Work 'users.json'
        $output = @(Invoke-MgGraphRequest -Uri 'v1.0/users?$top=3' -OutputFilePath $file)
        $output | Should -HaveCount 0
        (Get-Content -Raw $file | ConvertFrom-Json).value | Should -HaveCount 3

        $again = Join-Path $Work 'groups.json'
        $passed = Invoke-MgGraphRequest -Uri 'v1.0/groups' -OutputFilePath $again -PassThru
        $passed.value.Count | Should -Be (Get-Content -Raw $again | ConvertFrom-Json).value.Count
    }

    It '-OutputFilePath resolves a PowerShell path' {
        Push-Location $Work
        try {
            $null = Invoke-MgGraphRequest -Uri 'v1.0/subscribedSkus' -OutputFilePath './skus.json'
        } finally {
            Pop-Location
        }

        Test-Path (Join-Path $Work 'skus.json') | Should -BeTrue
    }

    It 'refuses an -InputFilePath that is missing or a folder' {
        { Invoke-MgGraphRequest -Method POST -Uri 'v1.0/$batch' -InputFilePath (Join-Path $Work 'missing.json') } | Should -Throw '*-InputFilePath*'
        { Invoke-MgGraphRequest -Method POST -Uri 'v1.0/$batch' -InputFilePath $Work } | Should -Throw '*is a folder*'
    }
}

Describe 'Invoke-MgGraphRequest: Graph''s refusals and retries' {
    It 'a 404 stops the cmdlet with the official error, Graph''s answer in ErrorDetails' {
        $caught = $null
        try { Invoke-MgGraphRequest -Uri 'v1.0/users/no-such-user' -StatusCodeVariable code } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -BeExactly 'InvokeGraphHttpResponseException,MgLicense.Commands.InvokeMgGraphRequest'
        $caught.Exception.Message | Should -BeExactly 'Response status code does not indicate success: NotFound (Not Found).'
        $caught.Exception.Response.StatusCode | Should -Be 'NotFound'
        $caught.CategoryInfo.Category | Should -Be 'InvalidOperation'
        ($caught.ErrorDetails.Message | ConvertFrom-Json).error.code | Should -BeExactly 'Request_ResourceNotFound'
        $caught.TargetObject | Should -BeOfType [System.Net.Http.HttpRequestMessage]
    }

    It '-SkipHttpErrorCheck hands the refused answer over with its status' {
        $result = Invoke-MgGraphRequest -Uri 'v1.0/users/no-such-user' -SkipHttpErrorCheck -StatusCodeVariable code
        $code | Should -Be 404
        $result.error.code | Should -BeExactly 'Request_ResourceNotFound'
    }

    It 'retries a 503 as the other cmdlets do' {
        Set-EmulatorFault '{"rules":[{"path":"/v1.0/groups","failureRate":1,"statuses":[503],"count":1,"retryAfterSeconds":0}]}'
        try {
            $mark = Get-RequestMark
            $result = Invoke-MgGraphRequest -Uri 'v1.0/groups' -StatusCodeVariable code
            $sent = @(Get-RequestSince $mark)
        } finally {
            Set-EmulatorFault '{"rules":[]}'
        }

        $code | Should -Be 200
        $sent | Should -HaveCount 2
        Get-SentHeader $sent[1] 'Retry-Attempt' | Should -BeExactly '1'
        $result.value.Count | Should -BeGreaterThan 0
    }
}

Describe 'Invoke-MgGraphRequest: secrets and connection' {
    It 'shows no token in -Debug, -Verbose, errors or output' {
        $run = Invoke-Captured {
            Invoke-MgGraphRequest -Uri 'v1.0/users?$top=1' -Debug -Verbose
            Invoke-MgGraphRequest -Uri 'v1.0/users/missing' -Debug -Verbose
        }

        $run.Debug | Should -Not -BeNullOrEmpty
        ($run.Debug -join "`n") | Should -Match 'HTTP REQUEST'
        ($run.Verbose -join "`n") | Should -Match 'GET .*/v1.0/users\?\$top=1 with 0-byte payload'
        $run.Terminating | Should -Not -BeNullOrEmpty
        Assert-NoSecret $run -Secret $Token
    }

    It 'stops with the official message when not connected' {
        $null = Disconnect-MgGraph
        try {
            $caught = $null
            try { Invoke-MgGraphRequest -Uri 'v1.0/users' } catch { $caught = $_ }
            $caught.Exception.Message | Should -BeLike '*Connect-MgGraph*'
        } finally {
            Connect-TestEmulator $Token
        }
    }
}

Describe 'Invoke-MgGraphRequest: help' {
    It 'Get-Help -Full gives the compiled page: synopsis, every parameter, examples' {
        $help = Get-Help Invoke-MgGraphRequest -Full
        $help.Synopsis | Should -BeLike 'Sends any Microsoft Graph request*'
        $names = @($help.parameters.parameter.name)
        foreach ($name in 'Method', 'Uri', 'Body', 'Headers', 'OutputFilePath', 'InputFilePath', 'OutputType', 'SkipHttpErrorCheck', 'StatusCodeVariable') {
            $names | Should -Contain $name
        }
        ($help.parameters.parameter | Where-Object name -EQ 'Body').pipelineInput | Should -BeLike 'True*'
        @($help.examples.example).Count | Should -BeGreaterOrEqual 2
    }
}

Describe 'Invoke-MgGraphRequest: -InferOutputFileName' {
    It 'saves nothing, and says so, when the answer names no file' {
        Push-Location $Work
        try {
            $before = @(Get-ChildItem $Work).Count
            $run = Invoke-Captured { Invoke-MgGraphRequest -Uri 'v1.0/groups' -InferOutputFileName -Verbose }
            @(Get-ChildItem $Work).Count | Should -Be $before
        } finally {
            Pop-Location
        }

        $run.Output | Should -HaveCount 0
        $run.Verbose | Should -Contain 'The answer names no file (Content-Disposition), so it was not saved.'
    }
}

Describe 'Invoke-MgGraphRequest: a token echoed by the server' {
    AfterEach {
        $environment = (Get-MgContext).Environment
        Disconnect-MgGraph -ErrorAction Ignore | Out-Null
        if ($environment) { Remove-MgEnvironment -Name $environment -ErrorAction Ignore }
        $echo.Dispose()
        Connect-TestEmulator $Token
    }

    It 'reaches no output, file, variable, error or stream (<Status>)' -ForEach @(@{ Status = '200 OK' }, @{ Status = '400 Bad Request' }) {
        $secret = 'echo-invoke-token-' + [guid]::NewGuid().ToString('N')
        $echo = New-StubGraph -EchoAuthorization $Status
        $null = Connect-StubGraph $echo $secret
        $file = Join-Path $Work 'echo.txt'

        $run = Invoke-Captured {
            Invoke-MgGraphRequest -Uri 'v1.0/me' -OutputType HttpResponseMessage -SkipHttpErrorCheck | ForEach-Object { $_.Content.ReadAsStringAsync().Result; "$($_.Headers)" }
            Invoke-MgGraphRequest -Uri 'v1.0/me' -OutputFilePath $file -SkipHttpErrorCheck
            # Refused (400), this one stops the script with its error record.
            Invoke-MgGraphRequest -Uri 'v1.0/me' -OutputType Json -RHV rh -Debug -Verbose
            foreach ($k in $rh.Keys) { "${k}: $($rh[$k] -join ',')" }
        }

        $echo.Requests | Should -Be 3
        ($run.Output + $run.Debug + @(Get-Content -Raw $file)) -join "`n" | Should -BeLike '*<redacted>*'
        @($run.AllErrors).Count | Should -Be ([int] ($Status -ne '200 OK'))
        Assert-NoSecret $run -Console @(Get-Content -Raw $file) -Secret $secret
    }
}
