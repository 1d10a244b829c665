// -Wait on the reprocess cmdlets against the emulator processing asynchronously: the user is written with its final states, and each license still in error is named with its SKU, group, error and fix.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using Xunit;

namespace MgLicense.Tests
{
    [Collection(PowerShellCollection.Name)]
    public sealed class WaitTests
    {
        private static readonly HttpClient Http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

        private readonly PowerShellFixture fixture;

        public WaitTests(PowerShellFixture fixture)
        {
            this.fixture = fixture;
        }

        private void SetProcessingDelay(int milliseconds)
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, fixture.EmulatorUrl + "/_emulator/processing")
            {
                Content = new StringContent(JsonSerializer.Serialize(new { delayMs = milliseconds }), Encoding.UTF8, "application/json"),
            };
            using HttpResponseMessage response = Http.Send(request);
            Assert.True(response.IsSuccessStatusCode, response.Content.ReadAsStringAsync().GetAwaiter().GetResult());
        }

        private RunResult RunWithDelay(string script, IDictionary<string, object?>? variables = null)
        {
            using Session session = fixture.NewSession();
            session.Connect(fixture.MintToken("User.ReadWrite.All", "Directory.Read.All")).ThrowIfFailed();
            SetProcessingDelay(300);
            try
            {
                return session.Run(script, variables);
            }
            finally
            {
                SetProcessingDelay(0);
            }
        }

        private static string Upn(JsonElement user) => user.GetProperty("userPrincipalName").GetString()!;

        private JsonElement UserNamed(string upn) => fixture.Users.First(u => Upn(u) == upn);

        [Fact]
        public void AHealthyUserIsWrittenWithItsStatesAndNoWarning()
        {
            JsonElement adele = UserNamed("AdeleV@contoso.com");
            RunResult result = RunWithDelay("Invoke-MgLicenseUser -UserId $id -Wait", new Dictionary<string, object?> { ["id"] = adele.GetProperty("id").GetString() });
            result.ThrowIfFailed();
            PSObject user = Assert.Single(result.Output);
            Assert.Equal("Microsoft.Graph.PowerShell.Models.MicrosoftGraphUser", user.TypeNames[0]);
            var states = (object[])user.Properties["LicenseAssignmentStates"].Value;
            Assert.Equal("Active", ((PSObject)Assert.Single(states)).Properties["State"].Value);
            Assert.Empty(result.Warnings);
        }

        [Fact]
        public void ALicenseStillInErrorIsNamedWithItsSkuGroupAndFix()
        {
            JsonElement megan = UserNamed("MeganB@contoso.com");
            string id = megan.GetProperty("id").GetString()!;
            RunResult result = null!;
            IReadOnlyList<JsonElement> requests = fixture.RequestsDuring(() =>
                result = RunWithDelay("Invoke-MgLicenseUser -UserId $id -Wait -TimeoutSec 2", new Dictionary<string, object?> { ["id"] = id }));
            result.ThrowIfFailed();
            PSObject user = Assert.Single(result.Output);
            var state = (PSObject)((object[])user.Properties["LicenseAssignmentStates"].Value)[0];
            Assert.Equal("CountViolation", state.Properties["Error"].Value);
            string warning = Assert.Single(result.Warnings, w => w.Contains("CountViolation"));
            Assert.Contains("POWER_BI_PRO", warning);
            Assert.Contains("'Power BI Pro'", warning);
            Assert.Contains("free seats or buy more", warning);
            Assert.Contains(result.Warnings, w => w.Contains("not all processed within 2 s"));
            Assert.Single(requests, r => r.GetProperty("method").GetString() == "POST");
            Assert.Contains(requests, r => r.GetProperty("method").GetString() == "GET"
                && r.GetProperty("path").GetString() == "/v1.0/users/" + id);
        }

        [Fact]
        public void InAPipelineEachUserIsWrittenOnceInInputOrder()
        {
            string[] upns = { "AdeleV@contoso.com", "MeganB@contoso.com", "patrick.o'brien@contoso.com" };
            RunResult result = RunWithDelay("$upns | ForEach-Object { @{ UserId = $_ } } | Invoke-MgLicenseUser -Wait -TimeoutSec 2",
                new Dictionary<string, object?> { ["upns"] = upns });
            result.ThrowIfFailed();
            Assert.Equal(upns, result.Output.Select(o => o.Properties["UserPrincipalName"].Value));
            Assert.Contains(result.Warnings, w => w.Contains("MeganB@contoso.com") && w.Contains("CountViolation"));
        }

        [Fact]
        public void WithoutWaitNothingIsReadBack()
        {
            RunResult result = null!;
            IReadOnlyList<JsonElement> requests = fixture.RequestsDuring(() =>
                result = RunWithDelay("Invoke-MgLicenseUser -UserId MeganB@contoso.com"));
            result.ThrowIfFailed();
            Assert.DoesNotContain(requests, r => r.GetProperty("method").GetString() == "GET");
            Assert.Empty(result.Warnings);
        }
    }
}
