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

        private const string Group = "c7d2e8f4-1a3b-4c5d-9e6f-7a8b9c0d1e2f";

        private const string MissingId = "00000000-0000-0000-0000-00000000dead";

        [Theory]
        [InlineData("Get-MgUser -UserId $id")]
        [InlineData("Get-MgGroup -GroupId $g")]
        [InlineData("Get-MgGroupMemberWithLicenseError -GroupId $g -All")]
        [InlineData("Get-MgSubscribedSku -All")]
        public void AClientRequestIdGivenToAReadIsSentAndEchoed(string read)
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.Read.All", "Directory.Read.All")).ThrowIfFailed();
            string clientRequestId = Guid.NewGuid().ToString();

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run($"$null = {read} -Headers @{{ 'client-request-id' = $crid }} -RHV rh; $rh['client-request-id']",
                    new Dictionary<string, object?> { ["id"] = fixture.UserId(0), ["g"] = Group, ["crid"] = clientRequestId }));

            result.ThrowIfFailed();
            Assert.NotEmpty(sent);
            Assert.All(sent, request => Assert.Equal(clientRequestId, Sent.Header(request, "client-request-id")));
            Assert.Equal(clientRequestId, Assert.Single(result.Output).BaseObject);
        }

        [Theory]
        [InlineData("Get-MgUser -UserId nobody@contoso.com")]
        [InlineData("Get-MgGroup -GroupId " + MissingId)]
        [InlineData("Get-MgGroupMemberWithLicenseError -GroupId " + MissingId + " -All")]
        public void ResponseHeadersVariableIsLeftAloneWhenAReadFails(string read)
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.Read.All", "Directory.Read.All")).ThrowIfFailed();

            RunResult result = session.Run($"$rh = 'before'; {read} -RHV rh; $rh");

            Assert.Contains("Status: 404", Assert.Single(result.Errors).ErrorDetails.Message);
            Assert.Equal("before", Assert.Single(result.Output).BaseObject);
        }

        [Fact]
        public void ForAPagedReadResponseHeadersVariableHoldsTheLastPagesHeaders()
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.Read.All")).ThrowIfFailed();

            RunResult result = null!;
            IReadOnlyList<JsonElement> sent = fixture.RequestsDuring(() =>
                result = session.Run("Get-MgUser -All -PageSize 3 -RHV rh | Out-Null; $rh['request-id']"));

            result.ThrowIfFailed();
            Assert.True(sent.Count > 1, "the read took several pages");
            Assert.Equal(sent[sent.Count - 1].GetProperty("requestId").GetString(), Assert.Single(result.Output).BaseObject);
        }

        [Fact]
        public void WhenALaterPageFailsResponseHeadersVariableKeepsTheLastGoodPagesHeaders()
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.Read.All")).ThrowIfFailed();
            // Half the pages fail, drawn from a seeded generator (seed 1: the third request is the first to fail); a 404 is not retried.
            fixture.SetFaults("""{"seed":1,"rules":[{"method":"GET","path":"/v1.0/users","failureRate":0.5,"statuses":[404]}]}""");
            RunResult result = null!;
            IReadOnlyList<JsonElement> sent;
            try
            {
                sent = fixture.RequestsDuring(() =>
                    result = session.Run("Get-MgUser -All -PageSize 1 -RHV rh | Out-Null; $rh['request-id']"));
            }
            finally
            {
                fixture.SetFaults("""{"rules":[]}""");
            }

            Assert.Single(result.Errors);
            int failed = sent.ToList().FindIndex(r => r.GetProperty("status").GetInt32() != 200);
            Assert.Equal(sent.Count - 1, failed);
            Assert.True(failed > 0, "the first page failed: pick a seed whose first draw passes");
            Assert.Equal(sent[failed - 1].GetProperty("requestId").GetString(), Assert.Single(result.Output).BaseObject);
        }
    }
}
