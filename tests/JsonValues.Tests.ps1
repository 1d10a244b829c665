# How a PowerShell value becomes JSON in each place a user hands the module one: ToJsonString() of the output objects,
# Invoke-MgGraphRequest -Body, and the write cmdlets' -BodyParameter and -AdditionalProperties. One converter writes all
# three (module/MgLicense/Native/Json.cs), each with the rules of the official cmdlet it stands for: how dates are written,
# what a number JSON cannot carry becomes, which values have no JSON form, how deep a value may nest, and how an error
# names the value. These tests hold each of those rules, place by place.

BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Emulator = Start-TestEmulator
    $script:Token = New-TestToken User.ReadWrite.All, Directory.ReadWrite.All
    Connect-TestEmulator $Token

    # The request body a call's -Debug shows (the engine writes it indented, its names sorted), without the indentation.
    function Get-DebugBody([scriptblock] $Call) {
        $run = Invoke-Captured $Call
        $request = "$(@($run.Debug)[0])"
        $body = $request.Substring($request.IndexOf("Body:`n") + 6)
        $body -replace '\r?\n\s*', '' -replace '": ', '":'
    }

    # A hashtable nested $Levels deep around an empty one: @{ a = @{ a = … @{} } }.
    function New-Nested([int] $Levels) {
        $value = @{}
        for ($i = 0; $i -lt $Levels; $i++) { $value = @{ a = $value } }
        $value
    }

    # A custom object with an alias property beside its note property.
    function New-Aliased {
        $value = [pscustomobject]@{ a = 1 }
        $value | Add-Member -MemberType AliasProperty -Name b -Value a
        $value
    }

    function New-Looped {
        $loop = @{}
        $loop.self = $loop
        $loop
    }

    function New-Throwing {
        $value = [pscustomobject]@{ a = 1 }
        $value | Add-Member -MemberType ScriptProperty -Name bad -Value { throw 'unreadable' }
        $value
    }

    $script:Utc = [datetime]::new(2026, 1, 2, 3, 4, 5, 678, [DateTimeKind]::Utc)
    $script:Offset = [datetimeoffset]::new(2026, 1, 2, 3, 4, 5, 678, [timespan]::FromHours(2))
}

AfterAll { Stop-TestEmulator $script:Emulator }

Describe 'ToJsonString(): Graph''s JSON of an object, as the official models write it' {
    It 'writes <Kind> as <Json>' -ForEach @(
        @{ Kind = 'a date, in UTC to the second'; Value = { $Utc }; Json = '"2026-01-02T03:04:05Z"' }
        @{ Kind = 'a date with an offset, in UTC'; Value = { $Offset }; Json = '"2026-01-02T01:04:05Z"' }
        @{ Kind = 'NaN'; Value = { [double]::NaN }; Json = 'null' }
        @{ Kind = 'infinity'; Value = { [float]::PositiveInfinity }; Json = 'null' }
        @{ Kind = 'a time span'; Value = { [timespan]::FromMinutes(90) }; Json = '"01:30:00"' }
        @{ Kind = 'a GUID'; Value = { [guid]'05e9a617-0261-4cee-bb44-138d3ef5d965' }; Json = '"05e9a617-0261-4cee-bb44-138d3ef5d965"' }
        @{ Kind = 'a character'; Value = { [char]'x' }; Json = '"x"' }
        @{ Kind = 'an enum'; Value = { [DayOfWeek]::Monday }; Json = '"Monday"' }
        @{ Kind = 'numbers of each type'; Value = { , @([byte]7, [uint32]8, [ulong]::MaxValue, [decimal]::Parse('1.10', [cultureinfo]::InvariantCulture), [float]1.5, -2.25) }; Json = '[7,8,18446744073709551615,1.10,1.5,-2.25]' }
        @{ Kind = 'a list with a null'; Value = { , @(1, 'two', $null, $true) }; Json = '[1,"two",null,true]' }
        @{ Kind = 'a dictionary with a number key'; Value = { @{ 1 = 'a' } }; Json = '{"1":"a"}' }
        @{ Kind = 'a switch, as an object'; Value = { [switch]$true }; Json = '{"isPresent":true}' }
        @{ Kind = 'a .NET object, by its properties'; Value = { [version]'1.2.3' }; Json = '{"major":1,"minor":2,"build":3,"revision":-1,"majorRevision":-1,"minorRevision":-1}' }
        @{ Kind = 'a custom object, nulls left out'; Value = { [pscustomobject]@{ Name = 'n'; Empty = $null } }; Json = '{"name":"n"}' }
        @{ Kind = 'a property that cannot be read, left out'; Value = { New-Throwing }; Json = '{"a":1}' }
        @{ Kind = 'an alias property'; Value = { New-Aliased }; Json = '{"a":1,"b":1}' }
        @{ Kind = 'an object that holds itself, as nulls 32 levels deep'; Value = { New-Looped }; Json = ('{"self":' * 32) + 'null' + ('}' * 32) }
    ) {
        [MgLicense.Models.ModelJson]::ToJsonString((& $Value)) | Should -BeExactly $Json
    }
}

Describe 'Invoke-MgGraphRequest -Body: JSON as PowerShell writes it' {
    It 'writes <Kind> as <Json>' -ForEach @(
        @{ Kind = 'a date, round-trip'; Value = { $Utc }; Json = '"2026-01-02T03:04:05.6780000Z"' }
        @{ Kind = 'a date with an offset, keeping it'; Value = { $Offset }; Json = '"2026-01-02T03:04:05.6780000+02:00"' }
        @{ Kind = 'a time span'; Value = { [timespan]::FromMinutes(90) }; Json = '"01:30:00"' }
        @{ Kind = 'a URI, as text'; Value = { [uri]'https://contoso.test/a' }; Json = '"https://contoso.test/a"' }
        @{ Kind = 'a switch, as a boolean'; Value = { [switch]$true }; Json = 'true' }
        @{ Kind = 'a character, a GUID and an enum'; Value = { , @([char]'x', [guid]'05e9a617-0261-4cee-bb44-138d3ef5d965', [DayOfWeek]::Monday) }; Json = '["x","05e9a617-0261-4cee-bb44-138d3ef5d965","Monday"]' }
        @{ Kind = 'numbers of each type'; Value = { , @([byte]7, [uint32]8, [ulong]::MaxValue, [float]1.5, -2.25) }; Json = '[7,8,18446744073709551615,1.5,-2.25]' }
        @{ Kind = 'a dictionary with a number key'; Value = { @{ 1 = 'a' } }; Json = '{"1":"a"}' }
        @{ Kind = 'a custom object, nulls kept'; Value = { [pscustomobject]@{ Name = 'n'; Empty = $null } }; Json = '{"Empty":null,"Name":"n"}' }
        @{ Kind = 'a .NET object, by its properties as named'; Value = { [version]'1.2.3' }; Json = '{"Build":3,"Major":1,"MajorRevision":-1,"Minor":2,"MinorRevision":-1,"Revision":-1}' }
        @{ Kind = 'a property that cannot be read, left out'; Value = { New-Throwing }; Json = '{"a":1}' }
        @{ Kind = 'a custom object''s note properties only'; Value = { New-Aliased }; Json = '{"a":1}' }
    ) {
        $body = @{ v = & $Value }
        Get-DebugBody { Invoke-MgGraphRequest -Method PUT -Uri 'v1.0/users/x' -Body $body -SkipHttpErrorCheck -Debug } | Should -BeExactly "{`"v`":$Json}"
    }

    It 'sends a value 100 levels deep' {
        $body = @{ v = New-Nested 99 }
        $mark = Get-RequestMark
        $null = Invoke-MgGraphRequest -Method PUT -Uri 'v1.0/users/x' -Body $body -SkipHttpErrorCheck
        @(Get-RequestSince $mark) | Should -HaveCount 1
    }

    It 'refuses <Kind> before anything is sent' -ForEach @(
        @{ Kind = 'NaN'; Value = { [double]::NaN }; Message = '-Body could not be sent: -Body holds the number NaN, which JSON cannot carry.' }
        @{ Kind = 'a value 101 levels deep'; Value = { New-Nested 100 }; Message = '-Body could not be sent: -Body is nested deeper than 100 levels, so it was not sent; an object that contains itself never ends.' }
    ) {
        $body = @{ v = & $Value }
        $mark = Get-RequestMark
        { Invoke-MgGraphRequest -Method PUT -Uri 'v1.0/users/x' -Body $body } | Should -Throw -ExpectedMessage $Message
        @(Get-RequestSince $mark) | Should -HaveCount 0
    }
}

Describe '-BodyParameter and -AdditionalProperties: JSON as Graph takes it, or an error naming the value' {
    It 'writes <Kind> as <Json>' -ForEach @(
        @{ Kind = 'a date, in UTC to the second'; Value = { $Utc }; Json = '"2026-01-02T03:04:05Z"' }
        @{ Kind = 'a date with an offset, in UTC'; Value = { $Offset }; Json = '"2026-01-02T01:04:05Z"' }
        @{ Kind = 'a switch, as a boolean'; Value = { [switch]$true }; Json = 'true' }
        @{ Kind = 'a character, a GUID and an enum'; Value = { , @([char]'x', [guid]'05e9a617-0261-4cee-bb44-138d3ef5d965', [DayOfWeek]::Monday) }; Json = '["x","05e9a617-0261-4cee-bb44-138d3ef5d965","Monday"]' }
        @{ Kind = 'numbers of each type'; Value = { , @([byte]7, [uint32]8, [ulong]::MaxValue, [float]1.5, -2.25) }; Json = '[7,8,18446744073709551615,1.5,-2.25]' }
        @{ Kind = 'a custom object, nulls kept'; Value = { [pscustomobject]@{ Name = 'n'; Empty = $null } }; Json = '{"Empty":null,"Name":"n"}' }
        @{ Kind = 'a custom object''s every property'; Value = { New-Aliased }; Json = '{"a":1,"b":1}' }
        @{ Kind = 'a value 32 levels deep'; Value = { New-Nested 32 }; Json = ('{"a":' * 32) + '{}' + ('}' * 32) }
    ) {
        $extra = @{ v = & $Value }
        Get-DebugBody { Update-MgUser -UserId nobody@contoso.com -AdditionalProperties $extra -Debug } | Should -BeExactly "{`"v`":$Json}"
    }

    It 'refuses <Kind>, naming it, before anything is sent' -ForEach @(
        @{ Kind = 'a time span'; Value = { [timespan]::FromMinutes(90) }; Message = '-AdditionalProperties.v is a System.TimeSpan, which has no JSON form for Microsoft Graph; give text, a number, a boolean, a hashtable or a list.' }
        @{ Kind = 'a URI'; Value = { [uri]'https://contoso.test/a' }; Message = '-AdditionalProperties.v is a System.Uri, which has no JSON form for Microsoft Graph; give text, a number, a boolean, a hashtable or a list.' }
        @{ Kind = 'NaN'; Value = { [double]::NaN }; Message = '-AdditionalProperties.v is a System.Double, which has no JSON form for Microsoft Graph; give text, a number, a boolean, a hashtable or a list.' }
        @{ Kind = 'a .NET object'; Value = { [version]'1.2.3' }; Message = '-AdditionalProperties.v is a System.Version, which has no JSON form for Microsoft Graph; give text, a number, a boolean, a hashtable or a list.' }
        @{ Kind = 'an item of a list'; Value = { , @(1, [timespan]0) }; Message = '-AdditionalProperties.v[1] is a System.TimeSpan, which has no JSON form for Microsoft Graph; give text, a number, a boolean, a hashtable or a list.' }
        @{ Kind = 'a property of an object'; Value = { [pscustomobject]@{ w = [timespan]0 } }; Message = '-AdditionalProperties.v.w is a System.TimeSpan, which has no JSON form for Microsoft Graph; give text, a number, a boolean, a hashtable or a list.' }
        @{ Kind = 'a key that is not text'; Value = { @{ 1 = 'a' } }; Message = 'A key of -AdditionalProperties.v is a System.Int32, not a property name.' }
        @{ Kind = 'a value 33 levels deep'; Value = { New-Nested 33 }; Message = "-AdditionalProperties.v$('.a' * 33) is nested more than 32 levels deep." }
        @{ Kind = 'an object that holds itself'; Value = { New-Looped }; Message = "-AdditionalProperties.v$('.self' * 33) is nested more than 32 levels deep." }
    ) {
        $extra = @{ v = & $Value }
        $mark = Get-RequestMark
        Update-MgUser -UserId nobody@contoso.com -AdditionalProperties $extra -ErrorVariable bad -ErrorAction SilentlyContinue
        @(Get-RequestSince $mark) | Should -HaveCount 0
        $bad | Should -HaveCount 1
        $bad[0].Exception.Message | Should -BeExactly $Message
        $bad[0].CategoryInfo.Category | Should -Be InvalidArgument
    }

    It 'refuses a value Set-MgUserLicense -AdditionalProperties cannot send, naming it' {
        $mark = Get-RequestMark
        Set-MgUserLicense -UserId nobody@contoso.com -AddLicenses @() -RemoveLicenses @() -AdditionalProperties @{ note = @([timespan]0) } -ErrorVariable bad -ErrorAction SilentlyContinue
        @(Get-RequestSince $mark) | Should -HaveCount 0
        $bad[0].Exception.Message | Should -BeLikeExactly '-AdditionalProperties.note`[0`] is a System.TimeSpan, which has no JSON form*'
    }
}
