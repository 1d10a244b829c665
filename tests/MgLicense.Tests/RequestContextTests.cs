// Get-MgRequestContext and Set-MgRequestContext: the official shape and defaults, and that the settings change what calls do.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Text.Json;
using Xunit;

namespace MgLicense.Tests
{
    [Collection(PowerShellCollection.Name)]
    public sealed class RequestContextTests
    {
        private const string Restore = "Set-MgRequestContext -MaxRetry 3 -RetryDelay 3 -RetriesTimeLimit 0 -ClientTimeout 300 | Out-Null";

        private readonly PowerShellFixture fixture;

        public RequestContextTests(PowerShellFixture fixture)
        {
            this.fixture = fixture;
        }

        private static void AssertContext(PSObject context, int clientTimeout, int retryDelay, int maxRetry, int retriesTimeLimit)
        {
            Assert.Equal("Microsoft.Graph.PowerShell.Authentication.RequestContext", context.TypeNames[0]);
            Assert.Equal(TimeSpan.FromSeconds(clientTimeout), context.Properties["ClientTimeout"].Value);
            Assert.Equal(retryDelay, context.Properties["RetryDelay"].Value);
            Assert.Equal(maxRetry, context.Properties["MaxRetry"].Value);
            Assert.Equal(TimeSpan.FromSeconds(retriesTimeLimit), context.Properties["RetriesTimeLimit"].Value);
        }

        [Fact]
        public void TheDefaultsAreTheOfficialOnesAndSetChangesOnlyWhatItNames()
        {
            using Session session = fixture.NewSession();
            try
            {
                RunResult defaults = session.Run("Get-MgRequestContext");
                defaults.ThrowIfFailed();
                AssertContext(Assert.Single(defaults.Output), 300, 3, 3, 0);

                RunResult set = session.Run("Set-MgRequestContext -MaxRetry 7 -RetriesTimeLimit 45");
                set.ThrowIfFailed();
                AssertContext(Assert.Single(set.Output), 300, 3, 7, 45);

                // Another runspace of the process sees the change: the settings are the process's, as the official module's are.
                using Session other = fixture.NewSession();
                RunResult seen = other.Run("Get-MgRequestContext");
                seen.ThrowIfFailed();
                AssertContext(Assert.Single(seen.Output), 300, 3, 7, 45);
            }
            finally
            {
                session.Run(Restore).ThrowIfFailed();
            }
        }

        [Theory]
        [InlineData("-MaxRetry 11", "MaxRetry")]
        [InlineData("-MaxRetry -1", "MaxRetry")]
        [InlineData("-RetryDelay 181", "RetryDelay")]
        [InlineData("-ClientTimeout 0", "ClientTimeout")]
        [InlineData("-RetriesTimeLimit -5", "RetriesTimeLimit")]
        public void AValueOutOfRangeIsRefusedByNameAndChangesNothing(string arguments, string parameter)
        {
            using Session session = fixture.NewSession();
            try
            {
                // A valid setting given alongside is not applied either.
                string alongside = parameter == "RetryDelay" ? "-MaxRetry 5" : "-RetryDelay 5";
                RunResult result = session.Run($"Set-MgRequestContext {alongside} {arguments}");

                ErrorRecord error = Assert.Single(result.AllErrors);
                Assert.StartsWith("ParameterArgumentValidationError", error.FullyQualifiedErrorId);
                Assert.Contains(parameter, error.Exception.Message);
                RunResult after = session.Run("Get-MgRequestContext");
                after.ThrowIfFailed();
                AssertContext(Assert.Single(after.Output), 300, 3, 3, 0);
            }
            finally
            {
                session.Run(Restore).ThrowIfFailed();
            }
        }

        [Fact]
        public void WhatIfChangesNothing()
        {
            using Session session = fixture.NewSession();
            try
            {
                RunResult result = session.Run("Set-MgRequestContext -MaxRetry 9 -WhatIf");

                result.ThrowIfFailed();
                Assert.Empty(result.Output);
                AssertContext(Assert.Single(session.Run("Get-MgRequestContext").Output), 300, 3, 3, 0);
            }
            finally
            {
                session.Run(Restore).ThrowIfFailed();
            }
        }

        [Theory]
        [InlineData(0)]
        [InlineData(2)]
        public void MaxRetryDecidesHowOftenAnUnavailableServiceIsAskedAgain(int maxRetry)
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();
            fixture.SetFaults("""{"rules":[{"method":"POST","path":"/**","failureRate":1,"statuses":[503],"retryAfterSeconds":0.01,"retryAfterFormat":"fraction"}]}""");
            try
            {
                session.Run($"Set-MgRequestContext -MaxRetry {maxRetry}").ThrowIfFailed();
                RunResult result = null!;
                IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                    result = session.Run("Invoke-MgLicenseUser -UserId $id", new Dictionary<string, object?> { ["id"] = fixture.UserId(0) }));

                Assert.Empty(result.Output);
                ErrorRecord error = Assert.Single(result.AllErrors);
                Assert.StartsWith("ServiceUnavailable", error.FullyQualifiedErrorId);
                Assert.Equal(maxRetry + 1, sent.Count(r => r.GetProperty("path").GetString()!.EndsWith("/reprocessLicenseAssignment")));
                if (maxRetry > 0)
                {
                    Assert.Contains("Too many retries performed", error.Exception.Message);
                }
            }
            finally
            {
                fixture.SetFaults("""{"rules":[]}""");
                session.Run(Restore).ThrowIfFailed();
            }
        }
    }
}
