// -Headers and -ResponseHeadersVariable as a user relies on them: refused headers stop before anything is sent, honoured ones arrive, the response headers land in the caller's variable.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Text.Json;
using Xunit;

namespace MgLicense.Tests
{
    [Collection(PowerShellCollection.Name)]
    public sealed class HeadersTests
    {
        private readonly PowerShellFixture fixture;

        public HeadersTests(PowerShellFixture fixture)
        {
            this.fixture = fixture;
        }

        [Theory]
        [InlineData("@{ 'x-note' = \"one`r`nInjected: two\" }", "x-note")]
        [InlineData("@{ 'x-note' = \"one`ntwo\" }", "x-note")]
        [InlineData("@{ \"x-bad`r`nname\" = 'v' }", "x-bad")]
        [InlineData("@{ Authorization = 'Bearer stolen' }", "Authorization")]
        [InlineData("@{ host = 'attacker.example' }", "host")]
        [InlineData("@{ 'Content-Length' = '0' }", "Content-Length")]
        public void RefusedHeadersAreAnInvalidArgumentNamingTheHeaderAndNothingIsSent(string headers, string named)
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run($"Invoke-MgLicenseUser -UserId $id -Headers {headers}",
                    new Dictionary<string, object?> { ["id"] = fixture.UserId(0) }));

            Assert.Empty(sent);
            Assert.Empty(result.Output);
            ErrorRecord error = Assert.Single(result.AllErrors);
            Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
            Assert.Contains("'" + named, error.Exception.Message);
            Assert.StartsWith("InvalidArgument,", error.FullyQualifiedErrorId);
        }

        [Theory]
        [InlineData("Invoke-MgLicenseUser")]
        [InlineData("Invoke-MgBetaLicenseUser")]
        [InlineData("Invoke-MgBetaReprocessUserCloudLicensingAssignment")]
        [InlineData("Invoke-MgBetaLicenseUser2")]
        public void ClientRequestIdAndThrottlePriorityGivenByTheUserAreSent(string cmdlet)
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();
            string clientRequestId = Guid.NewGuid().ToString();

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run(
                    $"$null = {cmdlet} -UserId $id -Headers @{{ 'client-request-id' = $crid; 'x-ms-throttle-priority' = 'Low'; 'x-count' = 7 }} -RHV rh; $rh['client-request-id']",
                    new Dictionary<string, object?> { ["id"] = fixture.UserId(0), ["crid"] = clientRequestId }));

            result.ThrowIfFailed();
            JsonElement request = Assert.Single(sent);
            Assert.Equal(clientRequestId, Sent.Header(request, "client-request-id"));
            Assert.Equal("Low", Sent.Header(request, "x-ms-throttle-priority"));
            Assert.Equal("7", Sent.Header(request, "x-count"));
            // Graph echoes the client's request id; the response-header variable shows it.
            Assert.Equal(clientRequestId, Assert.Single(result.Output).BaseObject);
        }

        [Theory]
        [InlineData("Invoke-MgLicenseUser")]
        [InlineData("Invoke-MgBetaReprocessUserCloudLicensingAssignment")]
        public void ResponseHeadersAreACaseInsensitiveDictionaryInTheCallersScope(string cmdlet)
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();

            RunResult result = session.Run(
                "function Reprocess($user) { $null = " + cmdlet + " -UserId $user -ResponseHeadersVariable headers; " +
                "  $headers['Request-Id']; [string]$headers['request-id'] -eq [string]$headers['REQUEST-ID']; " +
                "  $headers -is [System.Collections.Generic.Dictionary[string, System.Collections.Generic.IEnumerable[string]]] } " +
                "Reprocess $id; $null -eq $headers",
                new Dictionary<string, object?> { ["id"] = fixture.UserId(0) });

            result.ThrowIfFailed();
            Assert.Equal(4, result.Output.Count);
            Assert.Matches("^[0-9a-f-]{36}$", Assert.IsType<string>(result.Output[0].BaseObject));
            Assert.Equal(true, result.Output[1].BaseObject);
            Assert.Equal(true, result.Output[2].BaseObject);
            // Set in the function's scope (the caller's), so the top level never saw it.
            Assert.Equal(true, result.Output[3].BaseObject);
        }

        [Fact]
        public void ResponseHeadersVariableIsLeftAloneWhenTheCallFails()
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();

            RunResult result = session.Run(
                "$rh = 'before'; Invoke-MgLicenseUser -UserId '00000000-0000-0000-0000-00000000dead' -RHV rh; $rh");

            Assert.Single(result.Errors);
            Assert.Equal("before", Assert.Single(result.Output).BaseObject);
        }
    }
}
