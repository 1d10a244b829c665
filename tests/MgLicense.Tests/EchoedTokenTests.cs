// A Graph endpoint that echoes the Authorization header back, in its response headers and body: the token still reaches no response-header variable, ErrorDetails, exception, output or stream.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Xunit;

namespace MgLicense.Tests
{
    [Collection(PowerShellCollection.Name)]
    public sealed class EchoedTokenTests
    {
        private readonly PowerShellFixture fixture;

        public EchoedTokenTests(PowerShellFixture fixture)
        {
            this.fixture = fixture;
        }

        private static StubGraph Echoing(string status) => StubGraph.EchoingAuthorization(status);

        private const string ShowHeaders = "foreach ($k in $rh.Keys) { \"${k}: $($rh[$k] -join ',')\" }";

        [Theory]
        [InlineData("$null = Invoke-MgLicenseUser -UserId u1 -RHV rh -Debug -Verbose; " + ShowHeaders)]
        [InlineData("$u = Get-MgUser -UserId u1 -RHV rh -Debug -Verbose; $u.DisplayName; " + ShowHeaders)]
        public void AnEchoedTokenIsRedactedFromTheResponseHeadersVariableAndEveryStream(string script)
        {
            string token = "echo-test-token-" + Guid.NewGuid().ToString("N");
            using StubGraph echo = Echoing("200 OK");
            using Session session = fixture.NewSession();
            echo.Connect(session, token);
            try
            {
                RunResult result = session.Run(script);

                result.ThrowIfFailed();
                Assert.Equal(1, echo.Requests);
                Assert.Contains(result.Output, o => o.ToString()!.StartsWith("x-echo-authorization: Bearer <redacted>", StringComparison.Ordinal));
                Assert.All(result.AllText(session), text => Assert.DoesNotContain(token, text));
            }
            finally
            {
                session.Run("Disconnect-MgGraph -ErrorAction SilentlyContinue");
            }
        }

        [Theory]
        [InlineData("Invoke-MgLicenseUser -UserId u1 -RHV rh -Debug -Verbose")]
        [InlineData("Get-MgUser -UserId u1 -RHV rh -Debug -Verbose")]
        public void AnEchoedTokenIsRedactedFromErrorDetails(string script)
        {
            string token = "echo-test-token-" + Guid.NewGuid().ToString("N");
            using StubGraph echo = Echoing("400 Bad Request");
            using Session session = fixture.NewSession();
            echo.Connect(session, token);
            try
            {
                RunResult result = session.Run("$rh = 'before'; " + script + "; $rh");

                ErrorRecord error = Assert.Single(result.Errors);
                Assert.NotNull(error.ErrorDetails);
                Assert.Contains("You sent Bearer <redacted>", error.ErrorDetails.Message);
                Assert.Contains("<redacted>", error.ErrorDetails.Message.Substring(error.ErrorDetails.Message.IndexOf("x-echo-authorization", StringComparison.Ordinal)));
                Assert.Equal("before", Assert.Single(result.Output).BaseObject);
                Assert.All(result.AllText(session), text => Assert.DoesNotContain(token, text));
            }
            finally
            {
                session.Run("Disconnect-MgGraph -ErrorAction SilentlyContinue");
            }
        }
    }
}
