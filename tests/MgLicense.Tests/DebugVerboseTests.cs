// -Debug and -Verbose: the engine describes the call only when the cmdlet's stream is on, and no stream ever carries the token.
using System.Collections.Generic;
using System.Linq;
using Xunit;

namespace MgLicense.Tests
{
    [Collection(PowerShellCollection.Name)]
    public sealed class DebugVerboseTests
    {
        private const string RequestBanner = "============================ HTTP REQUEST ============================";
        private const string ResponseBanner = "============================ HTTP RESPONSE ============================";

        private readonly PowerShellFixture fixture;

        public DebugVerboseTests(PowerShellFixture fixture)
        {
            this.fixture = fixture;
        }

        [Theory]
        [InlineData("Invoke-MgLicenseUser -UserId $id -Debug", "/v1.0/users/{0}/reprocessLicenseAssignment")]
        [InlineData("$id | Invoke-MgBetaReprocessUserCloudLicensingAssignment -Debug", "/beta/users/{0}/cloudLicensing/assignments/reprocessAssignments")]
        public void DebugShowsTheRequestAndResponseAndNeverTheToken(string script, string path)
        {
            using Session session = fixture.NewSession();
            string token = fixture.MintToken("User.ReadWrite.All");
            session.Connect(token).ThrowIfFailed();
            string id = fixture.UserId(0);

            RunResult result = session.Run(script, new Dictionary<string, object?> { ["id"] = id });

            result.ThrowIfFailed();
            string debug = string.Join("\n", result.Debug);
            Assert.Contains(RequestBanner, debug);
            Assert.Contains(ResponseBanner, debug);
            Assert.Contains("HTTP Method:\nPOST", debug);
            Assert.Contains(string.Format(path, id), debug);
            Assert.True(debug.IndexOf(RequestBanner) < debug.IndexOf(ResponseBanner), "the request comes before the response");
            Assert.DoesNotContain("Bearer", debug);
            AssertNoToken(token, session, result);
        }

        [Fact]
        public void DebugOnAFailedCallShowsTheErrorResponseAndNeverTheToken()
        {
            using Session session = fixture.NewSession();
            string token = fixture.MintToken("User.ReadWrite.All");
            session.Connect(token).ThrowIfFailed();

            RunResult result = session.Run("Invoke-MgBetaLicenseUser -UserId 00000000-0000-0000-0000-00000000dead -Debug");

            Assert.Single(result.Errors);
            string debug = string.Join("\n", result.Debug);
            Assert.Contains(RequestBanner, debug);
            Assert.Contains(ResponseBanner, debug);
            Assert.Contains("Request_ResourceNotFound", debug);
            AssertNoToken(token, session, result);
        }

        [Fact]
        public void DebugPreferenceTurnsItOnAndDebugFalseTurnsItOff()
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();
            var id = new Dictionary<string, object?> { ["id"] = fixture.UserId(0) };

            RunResult quiet = session.Run("$null = Invoke-MgLicenseUser -UserId $id", id);
            RunResult byPreference = session.Run("$DebugPreference = 'Continue'; $null = Invoke-MgLicenseUser -UserId $id", id);
            RunResult switchedOff = session.Run("$DebugPreference = 'Continue'; $null = Invoke-MgLicenseUser -UserId $id -Debug:$false", id);
            RunResult inFunction = session.Run("function f { $DebugPreference = 'Continue'; $null = Invoke-MgLicenseUser -UserId $id }; f", id);

            Assert.Empty(quiet.Debug);
            Assert.Contains(byPreference.Debug, d => d.Contains(RequestBanner));
            Assert.Empty(switchedOff.Debug);
            Assert.Contains(inFunction.Debug, d => d.Contains(ResponseBanner));
        }

        [Fact]
        public void VerboseSaysWhichCallIsMadeForWhom()
        {
            using Session session = fixture.NewSession();
            string token = fixture.MintToken("User.ReadWrite.All");
            session.Connect(token).ThrowIfFailed();
            string id = fixture.UserId(1);

            RunResult result = session.Run("$null = Invoke-MgBetaLicenseUser2 -UserId $id -Verbose; $null = Invoke-MgBetaLicenseUser2 -UserId $id",
                new Dictionary<string, object?> { ["id"] = id });

            result.ThrowIfFailed();
            Assert.Contains(result.Verbose, v => v.StartsWith("POST ") && v.Contains($"/beta/users/{id}/reprocessLicenseAssignment2") && v.Contains($"'{id}'"));
            Assert.Contains(result.Verbose, v => v.Contains("200"));
            Assert.Empty(result.Debug);
            // Only the first call asked: the second adds nothing.
            Assert.Equal(result.Verbose.Count, result.Verbose.Distinct().Count());
            AssertNoToken(token, session, result);
        }

        [Fact]
        public void VerboseOnAFailedCallSaysSo()
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.Read.All")).ThrowIfFailed();

            RunResult result = session.Run("$VerbosePreference = 'Continue'; Invoke-MgLicenseUser -UserId $id",
                new Dictionary<string, object?> { ["id"] = fixture.UserId(0) });

            Assert.Single(result.Errors);
            Assert.Contains(result.Verbose, v => v.Contains("403"));
        }

        [Theory]
        [InlineData("Invoke-MgLicenseUser -UserId $id -Verbose", "POST", "/v1.0/users/{0}/reprocessLicenseAssignment")]
        [InlineData("Get-MgUser -UserId $id -Verbose", "GET", "/v1.0/users/{0}")]
        public void VerboseSaysWhenACallIsRetried(string script, string method, string path)
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All")).ThrowIfFailed();
            string id = fixture.UserId(2);
            string sentTo = string.Format(path, id);
            // Exactly one 503, with a short Retry-After so the retry comes at once.
            fixture.SetFaults("""{"rules":[{"path":"/v1.0/users/**","failureRate":1,"statuses":[503],"count":1,"retryAfterSeconds":0.1,"retryAfterFormat":"fraction"}]}""");
            RunResult result = null!;
            IReadOnlyList<System.Text.Json.JsonElement> sent;
            try
            {
                sent = fixture.RequestsDuring(() => result = session.Run(script, new Dictionary<string, object?> { ["id"] = id }));
            }
            finally
            {
                fixture.SetFaults("""{"rules":[]}""");
            }

            result.ThrowIfFailed();
            Assert.Equal(id, Assert.Single(result.Output).Properties["Id"].Value);
            Assert.Equal(new[] { 503, 200 }, sent.Select(r => r.GetProperty("status").GetInt32()));
            Assert.All(sent, r => Assert.Equal((method, sentTo), (r.GetProperty("method").GetString(), r.GetProperty("path").GetString())));
            string retry = Assert.Single(result.Verbose, v => v.Contains("answered 503"));
            Assert.Contains(id, retry);
            Assert.Contains("retry 1 of", retry);
            // The retry is said between the two attempts.
            int said = result.Verbose.ToList().IndexOf(retry);
            Assert.Equal(2, result.Verbose.Take(said).Count(v => v.Contains(sentTo)));
            Assert.Contains(result.Verbose.Skip(said + 1), v => v.Contains(sentTo) && v.Contains("200"));
        }

        /// <summary>The token (or its signature, the part that makes it usable) appears in no stream and on no console line.</summary>
        private static void AssertNoToken(string token, Session session, RunResult result)
        {
            string signature = token.Substring(token.LastIndexOf('.') + 1);
            IEnumerable<string> everything = result.AllText(session);
            Assert.All(everything, text =>
            {
                Assert.DoesNotContain(token, text);
                Assert.DoesNotContain(signature, text);
            });
        }
    }
}
