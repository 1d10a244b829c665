# Get-MgRequestContext and Set-MgRequestContext: the official shape and defaults, and that the
# settings change what calls do.

BeforeAll {
    . $PSScriptRoot/Common.ps1
    $script:Emulator = Start-TestEmulator

    # The official defaults, which every test puts back: the settings are the process's.
    function Restore-RequestContext { Set-MgRequestContext -MaxRetry 3 -RetryDelay 3 -RetriesTimeLimit 0 -ClientTimeout 300 | Out-Null }

    function Assert-RequestContext($Context, [int] $ClientTimeout, [int] $RetryDelay, [int] $MaxRetry, [int] $RetriesTimeLimit) {
        $Context.PSObject.TypeNames[0] | Should -BeExactly 'Microsoft.Graph.PowerShell.Authentication.RequestContext'
        $Context.ClientTimeout | Should -BeOfType [timespan]
        $Context.ClientTimeout | Should -Be ([timespan]::FromSeconds($ClientTimeout))
        $Context.RetryDelay | Should -BeOfType [int]
        $Context.RetryDelay | Should -Be $RetryDelay
        $Context.MaxRetry | Should -BeOfType [int]
        $Context.MaxRetry | Should -Be $MaxRetry
        $Context.RetriesTimeLimit | Should -BeOfType [timespan]
        $Context.RetriesTimeLimit | Should -Be ([timespan]::FromSeconds($RetriesTimeLimit))
    }
}

AfterAll { Stop-TestEmulator $script:Emulator }

Describe 'Get-MgRequestContext and Set-MgRequestContext' {
    AfterEach { Restore-RequestContext }

    It 'start at the official defaults, and Set changes only what it names, for the whole process' {
        $defaults = @(Get-MgRequestContext -ErrorVariable failed)

        $failed | Should -BeNullOrEmpty
        $defaults | Should -HaveCount 1
        Assert-RequestContext $defaults[0] 300 3 3 0

        $set = @(Set-MgRequestContext -MaxRetry 7 -RetriesTimeLimit 45 -ErrorVariable failed)

        $failed | Should -BeNullOrEmpty
        $set | Should -HaveCount 1
        Assert-RequestContext $set[0] 300 3 7 45

        # Another runspace of the process sees the change: the settings are the process's, as the official module's are.
        $other = [powershell]::Create()
        try {
            $seen = @($other.AddScript('Import-Module $args[0] -ErrorAction Stop; Get-MgRequestContext').AddArgument($ModuleManifest).Invoke())
            $other.Streams.Error | Should -BeNullOrEmpty
            $seen | Should -HaveCount 1
            Assert-RequestContext $seen[0] 300 3 7 45
        } finally {
            $other.Dispose()
        }
    }

    It 'Set-MgRequestContext <Arguments> is refused by name and changes nothing' -ForEach @(
        @{ Arguments = '-MaxRetry 11'; Parameter = 'MaxRetry' }
        @{ Arguments = '-MaxRetry -1'; Parameter = 'MaxRetry' }
        @{ Arguments = '-RetryDelay 181'; Parameter = 'RetryDelay' }
        @{ Arguments = '-ClientTimeout 0'; Parameter = 'ClientTimeout' }
        @{ Arguments = '-RetriesTimeLimit -5'; Parameter = 'RetriesTimeLimit' }
    ) {
        # A valid setting given alongside is not applied either.
        $alongside = if ($Parameter -eq 'RetryDelay') { '-MaxRetry 5' } else { '-RetryDelay 5' }

        $result = Invoke-Captured ([scriptblock]::Create("Set-MgRequestContext $alongside $Arguments"))

        $result.AllErrors | Should -HaveCount 1
        $result.AllErrors[0].FullyQualifiedErrorId | Should -BeLikeExactly 'ParameterArgumentValidationError*'
        $result.AllErrors[0].Exception.Message | Should -BeLikeExactly "*$Parameter*"
        $after = @(Get-MgRequestContext -ErrorVariable failed)
        $failed | Should -BeNullOrEmpty
        $after | Should -HaveCount 1
        Assert-RequestContext $after[0] 300 3 3 0
    }

    It 'Set-MgRequestContext takes its settings from the pipeline by property name, as the official cmdlet' {
        # SetMgRequestContext.cs: every parameter is ValueFromPipelineByPropertyName. Each object changes the settings it has and
        # keeps the others, a 0 it gives included; PowerShell's reset of the parameters an earlier object bound does not count
        # as a setting (the official cmdlet would set MaxRetry and RetryDelay to 0 with the second object).
        $objects = [pscustomobject]@{ MaxRetry = 5; RetryDelay = 2 }, [pscustomobject]@{ ClientTimeout = 120; RetriesTimeLimit = 30 },
            [pscustomobject]@{ MaxRetry = 0 }, [pscustomobject]@{ RetryDelay = 4 }
        $set = @($objects | Set-MgRequestContext)
        $named = @([pscustomobject]@{ MaxRetry = 6 } | Set-MgRequestContext -RetryDelay 7)

        $set | Should -HaveCount 4
        Assert-RequestContext $set[0] 300 2 5 0
        Assert-RequestContext $set[1] 120 2 5 30
        Assert-RequestContext $set[2] 120 2 0 30
        Assert-RequestContext $set[3] 120 4 0 30
        Assert-RequestContext $named[0] 120 7 6 30
        foreach ($name in 'RetryDelay', 'MaxRetry', 'RetriesTimeLimit', 'ClientTimeout') {
            (Get-Command Set-MgRequestContext).Parameters[$name].ParameterSets['__AllParameterSets'].ValueFromPipelineByPropertyName | Should -BeTrue -Because $name
        }
    }

    It 'Set-MgRequestContext -WhatIf changes nothing' {
        $written = @(Set-MgRequestContext -MaxRetry 9 -WhatIf -ErrorVariable failed)

        $failed | Should -BeNullOrEmpty
        $written.Count | Should -Be 0
        $after = @(Get-MgRequestContext)
        $after | Should -HaveCount 1
        Assert-RequestContext $after[0] 300 3 3 0
    }
}

Describe 'MaxRetry' {
    BeforeAll { Connect-TestEmulator (New-TestToken User.ReadWrite.All) }

    AfterEach {
        Set-EmulatorFault @{ rules = @() }
        Restore-RequestContext
    }

    It 'with <MaxRetry> asks an unavailable service <MaxRetry> more times' -ForEach @(
        @{ MaxRetry = 0 }
        @{ MaxRetry = 2 }
    ) {
        Set-EmulatorFault '{"rules":[{"method":"POST","path":"/**","failureRate":1,"statuses":[503],"retryAfterSeconds":0.01,"retryAfterFormat":"fraction"}]}'
        $null = Set-MgRequestContext -MaxRetry $MaxRetry
        $id = $TestUsers[0].id

        $mark = Get-RequestMark
        $result = Invoke-Captured { Invoke-MgLicenseUser -UserId $id }
        $sent = @(Get-RequestSince $mark)

        $result.Output.Count | Should -Be 0
        $result.AllErrors | Should -HaveCount 1
        $result.AllErrors[0].FullyQualifiedErrorId | Should -BeLikeExactly 'ServiceUnavailable*'
        @($sent | Where-Object { $_.path.EndsWith('/reprocessLicenseAssignment') }) | Should -HaveCount ($MaxRetry + 1)
        if ($MaxRetry -gt 0) {
            $result.AllErrors[0].Exception.Message | Should -BeLikeExactly '*Too many retries performed*'
        }
    }
}
