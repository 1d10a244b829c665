// -Wait on the reprocess cmdlets against the emulator processing asynchronously: the user is written with its final states, and each license still in error is named with its SKU, group, error and fix.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Net.Http;
using System.Text.Json;
using Xunit;

namespace MgLicense.Tests
{
    [Collection(PowerShellCollection.Name)]
    public sealed class WaitTests
    {
        private readonly PowerShellFixture fixture;

        public WaitTests(PowerShellFixture fixture)
        {
            this.fixture = fixture;
        }

        private void SetProcessingDelay(int milliseconds) =>
            fixture.Admin(HttpMethod.Put, "processing", JsonSerializer.Serialize(new { delayMs = milliseconds }));

        private RunResult RunWithDelay(string script, IDictionary<string, object?>? variables = null) =>
            RunWithDelay(fixture.MintToken("User.ReadWrite.All", "Directory.Read.All"), script, variables);

        private RunResult RunWithDelay(string token, string script, IDictionary<string, object?>? variables)
        {
            using Session session = fixture.NewSession();
            session.Connect(token).ThrowIfFailed();
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

        private string IdOf(string upn) => UserNamed(upn).GetProperty("id").GetString()!;

        [Fact]
        public void AHealthyUserIsWrittenWithItsStatesAndNoWarning()
        {
            JsonElement adele = UserNamed("AdeleV@contoso.com");
            RunResult result = RunWithDelay("Invoke-MgLicenseUser -UserId $id -Wait", new Dictionary<string, object?> { ["id"] = adele.GetProperty("id").GetString() });
            result.ThrowIfFailed();
            PSObject user = Assert.Single(result.Output);
            Assert.Equal("Microsoft.Graph.PowerShell.Models.MicrosoftGraphUser", user.TypeNames[0]);
            var states = (object[])user.Properties["LicenseAssignmentStates"].Value;
            Assert.Equal("Active", PSObject.AsPSObject(Assert.Single(states)).Properties["State"].Value);
            Assert.Empty(result.Warnings);
        }

        [Fact]
        public void ALicenseStillInErrorIsNamedWithItsSkuGroupAndFix()
        {
            string id = IdOf("MeganB@contoso.com");
            RunResult result = null!;
            IReadOnlyList<JsonElement> requests = fixture.RequestsDuring(() =>
                result = RunWithDelay("Invoke-MgLicenseUser -UserId $id -Wait -TimeoutSec 2", new Dictionary<string, object?> { ["id"] = id }));
            result.ThrowIfFailed();
            PSObject user = Assert.Single(result.Output);
            var state = PSObject.AsPSObject(((object[])user.Properties["LicenseAssignmentStates"].Value)[0]);
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

        private const string E3 = "05e9a617-0261-4cee-bb44-138d3ef5d965";
        private const string PowerBiPro = "f8a1db68-be16-40ed-86d5-cb42ce701560";

        /// <summary>
        /// A user of its own for one test, removed afterwards: direct E3 and Power BI Pro, processed without a usage location
        /// (both in error), then given one, so that reprocessing changes both states: E3 becomes Active, Power BI Pro fails on
        /// its plans' conflict with E3's. The call's own answer carries the old states, so only a read-back shows the new ones.
        /// </summary>
        private string NewUserWhoseStatesChangeOnReprocessing()
        {
            string id = Guid.NewGuid().ToString();
            fixture.Admin(HttpMethod.Post, "users", JsonSerializer.Serialize(new
            {
                id,
                userPrincipalName = $"wait.{id.Substring(0, 8)}@contoso.com",
                displayName = "Wait Test",
                directLicenses = new[] { new { skuId = E3 }, new { skuId = PowerBiPro } },
            }));
            fixture.Admin(HttpMethod.Post, $"users/{id}/process");
            fixture.Admin(HttpMethod.Patch, $"users/{id}", """{"usageLocation":"US"}""");
            return id;
        }

        private static Dictionary<string, (string State, string Error)> StatesBySku(PSObject user) =>
            ((object[])user.Properties["LicenseAssignmentStates"].Value).Select(PSObject.AsPSObject).ToDictionary(
                s => s.Properties["SkuId"].Value.ToString()!,
                s => (s.Properties["State"].Value.ToString()!, s.Properties["Error"].Value.ToString()!));

        [Theory]
        [InlineData("Invoke-MgBetaLicenseUser")]
        [InlineData("Invoke-MgBetaLicenseUser2")]
        [InlineData("Invoke-MgBetaReprocessUserCloudLicensingAssignment")]
        public void BetaCmdletsWriteTheUserWithItsFinalStatesUnderTheBetaTypeName(string cmdlet)
        {
            string id = NewUserWhoseStatesChangeOnReprocessing();
            try
            {
                RunResult result = null!;
                IReadOnlyList<JsonElement> requests = fixture.RequestsDuring(() =>
                    result = RunWithDelay($"{cmdlet} -UserId $id -Wait -TimeoutSec 20", new Dictionary<string, object?> { ["id"] = id }));
                result.ThrowIfFailed();
                PSObject user = Assert.Single(result.Output);
                Assert.Equal("Microsoft.Graph.Beta.PowerShell.Models.MicrosoftGraphUser", user.TypeNames[0]);
                Assert.Equal(id, user.Properties["Id"].Value);
                Dictionary<string, (string State, string Error)> states = StatesBySku(user);
                Assert.Equal(("Active", "None"), states[E3]);
                Assert.Equal(("Error", "MutuallyExclusiveViolation"), states[PowerBiPro]);
                string warning = Assert.Single(result.Warnings);
                Assert.Contains("POWER_BI_PRO (" + PowerBiPro + ") assigned directly", warning);
                Assert.Contains("MutuallyExclusiveViolation", warning);
                Assert.Contains("remove the conflicting license", warning);
                // The user is followed on beta, where the call was made.
                Assert.Contains(requests, r => r.GetProperty("method").GetString() == "GET"
                    && r.GetProperty("path").GetString() == "/beta/users/" + id);
            }
            finally
            {
                fixture.Admin(HttpMethod.Delete, $"users/{id}");
            }
        }

        [Fact]
        public void WithoutPermissionToReadSkusAndGroupsTheWarningNamesThemById()
        {
            string id = IdOf("MeganB@contoso.com");
            RunResult result = null!;
            IReadOnlyList<JsonElement> requests = fixture.RequestsDuring(() =>
                result = RunWithDelay(fixture.MintToken("User.ReadWrite.All"), "Invoke-MgLicenseUser -UserId $id -Wait -TimeoutSec 1",
                    new Dictionary<string, object?> { ["id"] = id }));
            result.ThrowIfFailed();
            Assert.Single(result.Output);
            string warning = Assert.Single(result.Warnings, w => w.Contains("CountViolation"));
            Assert.Contains($"license {PowerBiPro} from group c7d2e8f4-1a3b-4c5d-9e6f-7a8b9c0d1e2f is Error", warning);
            Assert.DoesNotContain("POWER_BI_PRO", warning);
            Assert.DoesNotContain("Power BI Pro", warning);
            // The names were asked for and refused, not skipped.
            Assert.Contains(requests, r => r.GetProperty("path").GetString() == "/v1.0/subscribedSkus" && r.GetProperty("status").GetInt32() == 403);
        }
    }
}
